#include "domain/rules.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include <chelete/platform/clock.hpp>
#include <chelete/platform/enum_names.hpp>

namespace chelete::registry {
namespace {

using platform::name_of;
using platform::value_of;

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), is_digit);
}

constexpr std::array<std::pair<AgencyStatus, std::string_view>, 9> kAgencyStatuses{{
    {AgencyStatus::kApplied, "applied"},
    {AgencyStatus::kUnderReview, "under_review"},
    {AgencyStatus::kLicensed, "licensed"},
    {AgencyStatus::kRenewalDue, "renewal_due"},
    {AgencyStatus::kExpired, "expired"},
    {AgencyStatus::kRejected, "rejected"},
    {AgencyStatus::kSuspended, "suspended"},
    {AgencyStatus::kRevoked, "revoked"},
    {AgencyStatus::kBanned, "banned"},
}};

constexpr std::array<std::pair<AgencyAction, std::string_view>, 8> kAgencyActions{{
    {AgencyAction::kStartReview, "start_review"},
    {AgencyAction::kApprove, "approve"},
    {AgencyAction::kReject, "reject"},
    {AgencyAction::kSuspend, "suspend"},
    {AgencyAction::kReinstate, "reinstate"},
    {AgencyAction::kRevoke, "revoke"},
    {AgencyAction::kRenew, "renew"},
    {AgencyAction::kBan, "ban"},
}};

constexpr std::array<std::pair<ComplaintStatus, std::string_view>, 5> kComplaintStatuses{{
    {ComplaintStatus::kOpen, "open"},
    {ComplaintStatus::kInvestigating, "investigating"},
    {ComplaintStatus::kResolved, "resolved"},
    {ComplaintStatus::kDismissed, "dismissed"},
    {ComplaintStatus::kReferredNrm, "referred_nrm"},
}};

constexpr std::array<std::pair<ComplaintAction, std::string_view>, 4> kComplaintActions{{
    {ComplaintAction::kInvestigate, "investigate"},
    {ComplaintAction::kResolve, "resolve"},
    {ComplaintAction::kDismiss, "dismiss"},
    {ComplaintAction::kReferNrm, "refer_nrm"},
}};

constexpr std::array<std::pair<PermitStatus, std::string_view>, 16> kPermitStatuses{{
    {PermitStatus::kDraft, "draft"},
    {PermitStatus::kFeePaid, "fee_paid"},
    {PermitStatus::kAppointmentBooked, "appointment_booked"},
    {PermitStatus::kSubmitted, "submitted"},
    {PermitStatus::kInAdjudication, "in_adjudication"},
    {PermitStatus::kApproved, "approved"},
    {PermitStatus::kReadyForCollection, "ready_for_collection"},
    {PermitStatus::kIssued, "issued"},
    {PermitStatus::kRejected, "rejected"},
    {PermitStatus::kAppealOrReviewPending, "appeal_or_review_pending"},
    {PermitStatus::kRefusedFinal, "refused_final"},
    {PermitStatus::kValid, "valid"},
    {PermitStatus::kExpired, "expired"},
    {PermitStatus::kExtendedByDirective, "extended_by_directive"},
    {PermitStatus::kRevoked, "revoked"},
    {PermitStatus::kSuperseded, "superseded"},
}};

constexpr std::array<std::pair<PermitStatusSource, std::string_view>, 4> kPermitStatusSources{{
    {PermitStatusSource::kCalendar, "calendar"},
    {PermitStatusSource::kOfficer, "officer"},
    {PermitStatusSource::kRegistry, "registry"},
    {PermitStatusSource::kApplicant, "applicant"},
}};

}  // namespace

std::optional<Day> parse_date(std::string_view text) {
    const auto date = platform::parse_date(text);
    if (!date) {
        return std::nullopt;
    }
    return static_cast<Day>(date->days_since_epoch());
}

std::string format_date(Day day) {
    return platform::Date::from_days_since_epoch(day).to_string();
}

std::optional<Country> phone_country(std::string_view phone) {
    if (phone.size() == 12 && phone.substr(0, 3) == "+27" && all_digits(phone.substr(3)) &&
        phone[3] >= '6' && phone[3] <= '8') {
        return Country::kSouthAfrica;
    }
    if (phone.size() == 12 && phone.substr(0, 4) == "+266" && all_digits(phone.substr(4)) &&
        (phone[4] == '5' || phone[4] == '6')) {
        return Country::kLesotho;
    }
    return std::nullopt;
}

std::optional<std::string> check_phone(std::string_view phone) {
    if (phone_country(phone)) {
        return std::nullopt;
    }
    return "must be an E.164 mobile number: +27 and 9 digits (South Africa) or +266 and 8 digits "
           "starting 5 or 6 "
           "(Lesotho)";
}

std::optional<std::string> check_pin(std::string_view pin) {
    if (pin.size() != 5 || !all_digits(pin)) {
        return "must be exactly 5 digits";
    }
    const bool same = std::all_of(pin.begin(), pin.end(), [&](char c) { return c == pin[0]; });
    bool up = true;
    bool down = true;
    for (std::size_t i = 1; i < pin.size(); ++i) {
        up = up && pin[i] == pin[i - 1] + 1;
        down = down && pin[i] == pin[i - 1] - 1;
    }
    if (same || up || down) {
        return "is too easy to guess (repeated or consecutive digits)";
    }
    return std::nullopt;
}

std::optional<std::string> check_password(std::string_view password) {
    if (password.size() < 12) {
        return "must be at least 12 characters";
    }
    if (password.size() > 128) {
        return "must be at most 128 characters";
    }
    return std::nullopt;
}

std::optional<std::string> check_name(std::string_view name) {
    if (name.empty() || name.size() > 100) {
        return "must be 1 to 100 characters";
    }
    if (name.front() == ' ' || name.back() == ' ') {
        return "must not start or end with a space";
    }
    for (const char c : name) {
        const auto u = static_cast<unsigned char>(c);
        const bool ascii_letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        // Bytes >= 0x80 are UTF-8 letters of other scripts (Sesotho itself is Latin script,
        // but names from elsewhere are welcome); the JSON layer has already checked UTF-8.
        if (!(ascii_letter || u >= 0x80 || c == ' ' || c == '\'' || c == '-' || c == '.')) {
            return "may contain only letters, spaces, apostrophes, hyphens and dots";
        }
    }
    return std::nullopt;
}

std::optional<std::string> check_birth_date(Day birth, Day today) {
    if (birth > today) {
        return "must not be in the future";
    }
    const auto now = platform::Date::from_days_since_epoch(today);
    // Sixteen years back; a 29 February today becomes the 28th in a common year.
    platform::Date limit{now.year - 16, now.month, now.day};
    if (!platform::parse_date(limit.to_string())) {
        limit.day = 28;
    }
    if (birth > static_cast<Day>(limit.days_since_epoch())) {
        return "the worker must be at least 16 years old";
    }
    return std::nullopt;
}

std::optional<std::string> check_identity_number(std::string_view number) {
    std::size_t kept = 0;
    for (const char c : number) {
        if (c == ' ' || c == '-') {
            continue;
        }
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
            return "may contain only letters, digits, spaces and dashes";
        }
        ++kept;
    }
    if (kept < 6 || kept > 20) {
        return "must have 6 to 20 letters or digits";
    }
    return std::nullopt;
}

std::string mask_identity_number(std::string_view normalized) {
    const std::size_t shown = normalized.size() > 8 ? 4 : 3;
    if (normalized.size() <= shown) {
        return std::string(normalized.size(), '*');
    }
    return std::string(normalized.size() - shown, '*') +
           std::string{normalized.substr(normalized.size() - shown)};
}

// ---- agencies ----------------------------------------------------------------------------------

std::string_view to_string(AgencyStatus s) {
    return name_of(kAgencyStatuses, s);
}
std::string_view to_string(AgencyAction a) {
    return name_of(kAgencyActions, a);
}
std::optional<AgencyStatus> agency_status_from(std::string_view s) {
    return value_of(kAgencyStatuses, s);
}
std::optional<AgencyAction> agency_action_from(std::string_view s) {
    return value_of(kAgencyActions, s);
}

std::optional<AgencyStatus> next_agency_status(AgencyStatus from, AgencyAction action) {
    using S = AgencyStatus;
    using A = AgencyAction;
    if (action == A::kBan) {
        // Any agency may be blacklisted, once.
        return from == S::kBanned ? std::nullopt : std::optional{S::kBanned};
    }
    switch (from) {
        case S::kApplied:
            return action == A::kStartReview ? std::optional{S::kUnderReview}
                   : action == A::kReject    ? std::optional{S::kRejected}
                                             : std::nullopt;
        case S::kUnderReview:
            return action == A::kApprove  ? std::optional{S::kLicensed}
                   : action == A::kReject ? std::optional{S::kRejected}
                                          : std::nullopt;
        case S::kLicensed:
        case S::kRenewalDue:
            if (action == A::kSuspend) {
                return S::kSuspended;
            }
            if (action == A::kRevoke) {
                return S::kRevoked;
            }
            if (action == A::kRenew) {
                return S::kLicensed;
            }
            return std::nullopt;
        case S::kSuspended:
            // Renewal is frozen while suspended (POEA MC 21 s.1986).
            return action == A::kReinstate ? std::optional{S::kLicensed}
                   : action == A::kRevoke  ? std::optional{S::kRevoked}
                                           : std::nullopt;
        case S::kExpired:
        case S::kRejected:
        case S::kRevoked:
        case S::kBanned:
            return std::nullopt;
    }
    return std::nullopt;
}

AgencyStatus agency_status_on(
    AgencyStatus stored, std::optional<Day> valid_until, Day today, int renewal_window_days
) {
    if ((stored != AgencyStatus::kLicensed && stored != AgencyStatus::kRenewalDue) ||
        !valid_until) {
        return stored;
    }
    if (today > *valid_until) {
        return AgencyStatus::kExpired;
    }
    if (today >= *valid_until - renewal_window_days) {
        return AgencyStatus::kRenewalDue;
    }
    return AgencyStatus::kLicensed;
}

bool agency_may_recruit(AgencyStatus s) {
    return s == AgencyStatus::kLicensed || s == AgencyStatus::kRenewalDue;
}

// ---- complaints --------------------------------------------------------------------------------

std::string_view to_string(ComplaintStatus s) {
    return name_of(kComplaintStatuses, s);
}
std::optional<ComplaintAction> complaint_action_from(std::string_view s) {
    return value_of(kComplaintActions, s);
}
std::optional<ComplaintStatus> complaint_status_from(std::string_view s) {
    return value_of(kComplaintStatuses, s);
}

std::optional<ComplaintStatus> next_complaint_status(ComplaintStatus from, ComplaintAction action) {
    const bool open = from == ComplaintStatus::kOpen || from == ComplaintStatus::kInvestigating;
    if (!open) {
        return std::nullopt;  // resolved, dismissed and referred complaints are closed
    }
    switch (action) {
        case ComplaintAction::kInvestigate:
            return from == ComplaintStatus::kOpen ? std::optional{ComplaintStatus::kInvestigating}
                                                  : std::nullopt;
        case ComplaintAction::kResolve:
            return ComplaintStatus::kResolved;
        case ComplaintAction::kDismiss:
            return ComplaintStatus::kDismissed;
        case ComplaintAction::kReferNrm:
            return ComplaintStatus::kReferredNrm;
    }
    return std::nullopt;
}

bool is_complaint_category(std::string_view category) {
    constexpr std::array<std::string_view, 7> kCategories{
        "fees_charged",
        "passport_retained",
        "contract_substitution",
        "wage_theft",
        "abuse",
        "trafficking_indicator",
        "other"};
    return std::find(kCategories.begin(), kCategories.end(), category) != kCategories.end();
}

// ---- permits -----------------------------------------------------------------------------------

std::string_view to_string(PermitStatus s) {
    return name_of(kPermitStatuses, s);
}
std::optional<PermitStatus> permit_status_from(std::string_view s) {
    return value_of(kPermitStatuses, s);
}

bool is_permit_type(std::string_view type) {
    return type == "LSP" || type == "LEP" || type == "work_visa" || type == "other";
}

bool permit_transition_allowed(PermitStatus from, PermitStatus to) {
    using P = PermitStatus;
    static constexpr std::array<std::pair<P, P>, 22> kAllowed{{
        {P::kDraft, P::kFeePaid},
        {P::kFeePaid, P::kAppointmentBooked},
        {P::kAppointmentBooked, P::kSubmitted},
        {P::kSubmitted, P::kInAdjudication},
        {P::kInAdjudication, P::kApproved},
        {P::kInAdjudication, P::kRejected},
        {P::kRejected, P::kAppealOrReviewPending},
        {P::kAppealOrReviewPending, P::kApproved},
        {P::kAppealOrReviewPending, P::kRefusedFinal},
        {P::kApproved, P::kReadyForCollection},
        {P::kReadyForCollection, P::kIssued},
        {P::kIssued, P::kValid},
        {P::kValid, P::kExpired},
        {P::kValid, P::kExtendedByDirective},
        {P::kExpired, P::kExtendedByDirective},
        {P::kExtendedByDirective, P::kExpired},
        {P::kValid, P::kRevoked},
        {P::kExtendedByDirective, P::kRevoked},
        {P::kExpired, P::kRevoked},
        {P::kValid, P::kSuperseded},
        {P::kExtendedByDirective, P::kSuperseded},
        {P::kExpired, P::kSuperseded},
    }};
    return std::find(kAllowed.begin(), kAllowed.end(), std::pair{from, to}) != kAllowed.end();
}

bool permit_before_issue(PermitStatus s) {
    using P = PermitStatus;
    switch (s) {
        case P::kDraft:
        case P::kFeePaid:
        case P::kAppointmentBooked:
        case P::kSubmitted:
        case P::kInAdjudication:
        case P::kApproved:
        case P::kReadyForCollection:
        case P::kRejected:
        case P::kAppealOrReviewPending:
        case P::kRefusedFinal:
            return true;
        case P::kIssued:
        case P::kValid:
        case P::kExpired:
        case P::kExtendedByDirective:
        case P::kRevoked:
        case P::kSuperseded:
            return false;
    }
    return false;
}

bool permit_application_entry(PermitStatus s) {
    return s == PermitStatus::kDraft || s == PermitStatus::kFeePaid ||
           s == PermitStatus::kAppointmentBooked || s == PermitStatus::kSubmitted;
}

bool permit_needs_vfs_reference(PermitStatus s) {
    using P = PermitStatus;
    return permit_before_issue(s) && s != P::kDraft && s != P::kFeePaid &&
           s != P::kAppointmentBooked;
}

bool permit_application_pending(PermitStatus s) {
    using P = PermitStatus;
    return s == P::kSubmitted || s == P::kInAdjudication || s == P::kApproved ||
           s == P::kReadyForCollection;
}

bool permit_in_force(PermitStatus s) {
    return s == PermitStatus::kValid || s == PermitStatus::kExtendedByDirective;
}

std::string_view to_string(PermitStatusSource s) {
    return name_of(kPermitStatusSources, s);
}
std::optional<PermitStatusSource> permit_status_source_from(std::string_view s) {
    return value_of(kPermitStatusSources, s);
}

std::vector<PermitStatus> calendar_steps(
    PermitStatus recorded, PermitStatusSource source, PermitStatus computed
) {
    using P = PermitStatus;
    if (computed == recorded || permit_before_issue(recorded)) {
        return {};  // an application or decision is no date's to move
    }
    const bool dated_entry = recorded == P::kIssued || recorded == P::kValid;
    if (source != PermitStatusSource::kCalendar && !dated_entry) {
        return {};  // a decision, not a date: it stands until an officer moves it
    }
    if (permit_transition_allowed(recorded, computed)) {
        return {computed};
    }
    if (recorded == P::kIssued && permit_transition_allowed(P::kValid, computed)) {
        return {P::kValid, computed};
    }
    return {};
}

PermitStanding permit_standing(
    PermitStatus recorded,
    const std::string& type,
    std::optional<Day> printed_expiry,
    const std::vector<Directive>& directives,
    Day today
) {
    PermitStanding out;
    out.status = recorded;
    out.legal_expiry = printed_expiry;
    const bool issued = recorded == PermitStatus::kIssued || recorded == PermitStatus::kValid ||
                        recorded == PermitStatus::kExpired ||
                        recorded == PermitStatus::kExtendedByDirective;
    if (!issued || !printed_expiry) {
        return out;
    }
    const Directive* latest = nullptr;
    for (const auto& d : directives) {
        if (d.permit_type != type || d.published_on > today) {
            continue;
        }
        if (latest == nullptr || d.published_on > latest->published_on ||
            (d.published_on == latest->published_on && d.valid_until > latest->valid_until)) {
            latest = &d;
        }
    }
    if (latest != nullptr && latest->valid_until > *printed_expiry) {
        out.legal_expiry = latest->valid_until;
        out.directive_ref = latest->reference;
    }
    if (today <= *printed_expiry) {
        out.status = PermitStatus::kValid;
    } else if (today <= *out.legal_expiry) {
        out.status = PermitStatus::kExtendedByDirective;
    } else {
        out.status = PermitStatus::kExpired;
    }
    return out;
}

// ---- KYC ---------------------------------------------------------------------------------------

std::string_view to_string(KycTier t) {
    switch (t) {
        case KycTier::kRestricted:
            return "restricted";
        case KycTier::kBasic:
            return "basic";
        case KycTier::kStandard:
            return "standard";
        case KycTier::kEnhanced:
            return "enhanced";
    }
    return "basic";
}

KycTier kyc_tier(const KycFacts& facts) {
    if (facts.has_permit_record && facts.permit_verified && !facts.permit_in_force) {
        // DHA's 2017 circular: an expired permit plus a VFS receipt is still served. A revoked
        // permit is not lifted by a new application.
        return facts.pending_application && !facts.verified_permit_revoked ? KycTier::kBasic
                                                                           : KycTier::kRestricted;
    }
    if (!facts.permit_verified || !facts.permit_in_force) {
        return KycTier::kBasic;
    }
    return facts.proof_of_income ? KycTier::kEnhanced : KycTier::kStandard;
}

}  // namespace chelete::registry
