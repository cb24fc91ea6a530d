#pragma once

// The registry's rules, free of I/O (docs/registry.md): field checks, the agency and complaint
// lifecycles, the permit status with ministerial directives, and the KYC tier. Handlers call
// these; the tests beside them pin every rule.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <chelete/registry/pin_rule.hpp>

namespace chelete::registry {

/// Days since 1970-01-01 (civil calendar, proleptic Gregorian): dates are days, never floats.
using Day = std::int32_t;

/// "YYYY-MM-DD", a real calendar date between 1900 and 2200; nullopt otherwise.
[[nodiscard]] std::optional<Day> parse_date(std::string_view text);
[[nodiscard]] std::string format_date(Day day);

enum class Country : std::uint8_t { kSouthAfrica, kLesotho };

/// E.164 mobile numbers of the corridor: +27 and 9 digits (South Africa, first digit 6-8),
/// +266 and 8 digits (Lesotho, first digit 5 or 6: Vodacom and Econet). nullopt if valid,
/// else what is wrong.
[[nodiscard]] std::optional<std::string> check_phone(std::string_view phone);
[[nodiscard]] std::optional<Country> phone_country(std::string_view phone);
// check_pin (5 digits, not all the same, not a straight run): <chelete/registry/pin_rule.hpp>,
// public because the USSD menu asks for a new PIN by the same rule.
/// At least 12 characters, at most 128.
[[nodiscard]] std::optional<std::string> check_password(std::string_view password);
/// A person's name: 1-100 characters of letters (any script), spaces, apostrophes, hyphens, dots.
[[nodiscard]] std::optional<std::string> check_name(std::string_view name);
/// Born at least 16 years before `today` (the minimum working age) and not before 1900.
[[nodiscard]] std::optional<std::string> check_birth_date(Day birth, Day today);
/// Identity numbers: 6-20 characters of letters and digits after removing spaces and dashes.
[[nodiscard]] std::optional<std::string> check_identity_number(std::string_view number);
/// "*****1234": only the last 4 characters (3 for short numbers) are ever shown.
[[nodiscard]] std::string mask_identity_number(std::string_view normalized);

// ---- recruitment agencies (DOMAIN.md 7.2) --------------------------------------------------

enum class AgencyStatus : std::uint8_t {
    kApplied,
    kUnderReview,
    kLicensed,
    kRenewalDue,
    kExpired,
    kRejected,
    kSuspended,
    kRevoked,
    kBanned,
};
enum class AgencyAction : std::uint8_t {
    kStartReview,
    kApprove,
    kReject,
    kSuspend,
    kReinstate,
    kRevoke,
    kRenew,
    kBan,
};

[[nodiscard]] std::string_view to_string(AgencyStatus s);
[[nodiscard]] std::string_view to_string(AgencyAction a);
[[nodiscard]] std::optional<AgencyStatus> agency_status_from(std::string_view s);
[[nodiscard]] std::optional<AgencyAction> agency_action_from(std::string_view s);

/// The status an officer's action leads to, or nullopt when the action is not allowed from
/// `from` (the API answers 409).
[[nodiscard]] std::optional<AgencyStatus> next_agency_status(
    AgencyStatus from, AgencyAction action
);
/// What the clock does to a licence: licensed → renewal_due within `renewal_window` days of
/// `valid_until`, licensed/renewal_due → expired after it. Other statuses stay.
[[nodiscard]] AgencyStatus agency_status_on(
    AgencyStatus stored, std::optional<Day> valid_until, Day today, int renewal_window_days
);
/// Only a licence in force may take on new workers.
[[nodiscard]] bool agency_may_recruit(AgencyStatus s);

// ---- complaints (DOMAIN.md 7.4) -------------------------------------------------------------

enum class ComplaintStatus : std::uint8_t {
    kOpen,
    kInvestigating,
    kResolved,
    kDismissed,
    kReferredNrm
};
enum class ComplaintAction : std::uint8_t { kInvestigate, kResolve, kDismiss, kReferNrm };
[[nodiscard]] std::string_view to_string(ComplaintStatus s);
[[nodiscard]] std::optional<ComplaintAction> complaint_action_from(std::string_view s);
[[nodiscard]] std::optional<ComplaintStatus> complaint_status_from(std::string_view s);
[[nodiscard]] std::optional<ComplaintStatus> next_complaint_status(
    ComplaintStatus from, ComplaintAction action
);
[[nodiscard]] bool is_complaint_category(std::string_view category);

// ---- permits (DOMAIN.md 6) ------------------------------------------------------------------

/// The recorded lifecycle of a permit (application, decision, after issue).
enum class PermitStatus : std::uint8_t {
    kDraft,
    kFeePaid,
    kAppointmentBooked,
    kSubmitted,
    kInAdjudication,
    kApproved,
    kReadyForCollection,
    kIssued,
    kRejected,
    kAppealOrReviewPending,
    kRefusedFinal,
    kValid,
    kExpired,
    kExtendedByDirective,
    kRevoked,
    kSuperseded,
};
[[nodiscard]] std::string_view to_string(PermitStatus s);
[[nodiscard]] std::optional<PermitStatus> permit_status_from(std::string_view s);
/// The allowed recorded transitions (officer actions); everything else answers 409.
[[nodiscard]] bool permit_transition_allowed(PermitStatus from, PermitStatus to);
[[nodiscard]] bool is_permit_type(std::string_view type);
/// Application and decision phases (draft … ready_for_collection, rejected, appeal, refused_final):
/// no permit number, printed date or legal expiry yet; dates and directives leave it alone.
[[nodiscard]] bool permit_before_issue(PermitStatus s);
/// The statuses an application may be recorded in (POST /v1/workers/{id}/permits): what the
/// applicant holds evidence of, up to `submitted`; adjudication and after are officers' moves.
[[nodiscard]] bool permit_application_entry(PermitStatus s);
/// From `submitted` until issue or final refusal the VFS receipt (vfs_reference) is on record.
[[nodiscard]] bool permit_needs_vfs_reference(PermitStatus s);
/// Submitted with its receipt and not yet decided against: submitted, in_adjudication, approved,
/// ready_for_collection (proof of application, DOMAIN.md 6).
[[nodiscard]] bool permit_application_pending(PermitStatus s);

/// A ministerial directive extending the legal validity of a permit type.
struct Directive {
    std::string reference;
    std::string permit_type;
    Day valid_until = 0;
    Day published_on = 0;
};

/// The permit's standing on `today`: for issued permits (issued/valid/expired/extended) the
/// legal expiry is the later of the printed expiry and the latest directive for its type
/// published on or before today (a later directive overrides an earlier one, even a shorter
/// one: the minister's latest word counts). Revoked and superseded stay so whatever a directive
/// says; application and decision states are not touched.
struct PermitStanding {
    PermitStatus status = PermitStatus::kDraft;
    std::optional<Day> legal_expiry;
    std::string directive_ref;  // empty when the printed date applies
};
[[nodiscard]] PermitStanding permit_standing(
    PermitStatus recorded,
    const std::string& type,
    std::optional<Day> printed_expiry,
    const std::vector<Directive>& directives,
    Day today
);
/// In force: may work and send under it.
[[nodiscard]] bool permit_in_force(PermitStatus s);

/// Who set a permit's recorded status (stored beside it, `permits.status_source`).
enum class PermitStatusSource : std::uint8_t {
    kCalendar,   // computed from the printed date and the directives (recording, the job, a
                 // directive)
    kOfficer,    // decided by an officer (POST /v1/permits/{id}/status)
    kRegistry,   // the permit registry's word, found on verification (revoked, superseded)
    kApplicant,  // the worker recording their own application (draft … submitted)
};
[[nodiscard]] std::string_view to_string(PermitStatusSource s);
[[nodiscard]] std::optional<PermitStatusSource> permit_status_source_from(std::string_view s);

/// The statuses the calendar takes a permit through, from `recorded` (set by `source`) towards
/// `computed` (permit_standing's status today); the last one is the new status. Every step is a
/// transition permit_transition_allowed() accepts: `issued` reaches an extended or expired
/// standing through `valid`. Empty when the status stays:
/// - it is already `computed`;
/// - it is in the application or decision phase (permit_before_issue): only officers move it;
/// - the lifecycle has no such move (expired → valid, extended_by_directive → valid, ...);
/// - an officer or the permit registry set it and it is not `issued` or `valid`: an officer's
///   `expired` or `extended_by_directive` stands, whatever the dates and directives say, until an
///   officer moves it (`issued` and `valid` are where the dates take over, whoever set them).
[[nodiscard]] std::vector<PermitStatus> calendar_steps(
    PermitStatus recorded, PermitStatusSource source, PermitStatus computed
);

// ---- KYC tier (docs/registry.md "KYC tiers") ------------------------------------------------

enum class KycTier : std::uint8_t {
    kRestricted,  // the permit on record has expired or was revoked: the lowest limits
    kBasic,       // registered with a passport; permit not yet verified or not on record
    kStandard,    // a permit in force, verified against the registry (the base tier)
    kEnhanced,    // standard plus verified proof of income
};
[[nodiscard]] std::string_view to_string(KycTier t);

struct KycFacts {
    bool has_permit_record = false;
    bool permit_verified = false;  // checked against the permit registry
    bool permit_in_force = false;  // valid or extended by directive today
    bool proof_of_income = false;
    /// An application submitted with its VFS receipt and not decided against
    /// (permit_application_pending): it keeps an expired permit's holder at `basic`.
    bool pending_application = false;
    /// A verified permit was revoked (s43): a pending application does not undo that.
    bool verified_permit_revoked = false;
};
[[nodiscard]] KycTier kyc_tier(const KycFacts& facts);

}  // namespace chelete::registry
