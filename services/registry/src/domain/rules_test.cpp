#include "domain/rules.hpp"

#include <gtest/gtest.h>

namespace chelete::registry {
namespace {

Day day(const char* text) {
    const auto d = parse_date(text);
    EXPECT_TRUE(d.has_value()) << text;
    return d.value_or(0);
}

TEST(RegistryRulesTest, DatesAreRealCalendarDays) {
    EXPECT_EQ(day("1970-01-01"), 0);
    EXPECT_EQ(day("2024-03-01") - day("2024-02-28"), 2) << "2024 is a leap year";
    EXPECT_EQ(format_date(day("2027-05-28")), "2027-05-28");
    for (const char* bad :
         {"2023-02-29",
          "2024-13-01",
          "2024-00-10",
          "2024-1-01",
          "24-01-01",
          "2024/01/01",
          "1899-12-31",
          "2024-01-32",
          "",
          "2024-01-01T00:00:00Z",
          "abcd-ef-gh"}) {
        EXPECT_FALSE(parse_date(bad).has_value()) << bad;
    }
}

TEST(RegistryRulesTest, PhonesOfTheCorridor) {
    EXPECT_FALSE(check_phone("+27821234567").has_value());
    EXPECT_FALSE(check_phone("+26658123456").has_value());
    EXPECT_FALSE(check_phone("+26662123456").has_value());
    EXPECT_EQ(phone_country("+26658123456"), Country::kLesotho);
    EXPECT_EQ(phone_country("+27821234567"), Country::kSouthAfrica);
    for (const char* bad :
         {"0821234567",
          "+2782123456",
          "+278212345678",
          "+26648123456",
          "+2665812345",
          "+27 82 123 4567",
          "+27121234567",
          "+1 555 0100",
          "",
          "+2665812345a"}) {
        EXPECT_TRUE(check_phone(bad).has_value()) << bad;
    }
}

TEST(RegistryRulesTest, PinsAndPasswords) {
    EXPECT_FALSE(check_pin("48213").has_value());
    for (const char* bad : {"1234", "123456", "12345", "54321", "11111", "1234a", ""}) {
        EXPECT_TRUE(check_pin(bad).has_value()) << bad;
    }
    EXPECT_TRUE(check_password("short-pass1").has_value());
    EXPECT_FALSE(check_password("long enough password").has_value());
    EXPECT_TRUE(check_password(std::string(129, 'x')).has_value());
}

TEST(RegistryRulesTest, NamesAcceptSesothoAndOtherScriptsButNotMarkup) {
    for (const char* good :
         {"Mpho",
          "Lerato Mokoena",
          "'Mathabo",
          "Ts'episo",
          "Nthabiseng-Palesa",
          "Thabo Jr.",
          "Zoë"}) {
        EXPECT_FALSE(check_name(good).has_value()) << good;
    }
    for (const std::string& bad :
         {std::string{},
          std::string(101, 'a'),
          std::string{" Mpho"},
          std::string{"<script>"},
          std::string{"Robert'); DROP TABLE workers;--"},
          std::string{"Mpho1"}}) {
        EXPECT_TRUE(check_name(bad).has_value()) << bad;
    }
}

TEST(RegistryRulesTest, BirthDates) {
    const Day today = day("2026-11-23");
    EXPECT_TRUE(check_birth_date(day("2026-11-24"), today).has_value()) << "future";
    EXPECT_TRUE(check_birth_date(day("2010-11-24"), today).has_value()) << "one day short of 16";
    EXPECT_FALSE(check_birth_date(day("2010-11-23"), today).has_value()) << "16 today";
    EXPECT_FALSE(check_birth_date(day("2008-02-29"), day("2024-02-29")).has_value());
}

TEST(RegistryRulesTest, IdentityNumbersAreCheckedAndMasked) {
    EXPECT_FALSE(check_identity_number("RA1234567").has_value());
    EXPECT_FALSE(check_identity_number("0123-4567-89").has_value());
    EXPECT_TRUE(check_identity_number("12345").has_value());
    EXPECT_TRUE(check_identity_number("RA12345'67").has_value());
    EXPECT_EQ(mask_identity_number("RA1234567"), "*****4567");
    EXPECT_EQ(mask_identity_number("A12345"), "***345");
}

TEST(RegistryRulesTest, AgencyLifecycle) {
    using S = AgencyStatus;
    using A = AgencyAction;
    EXPECT_EQ(next_agency_status(S::kApplied, A::kStartReview), S::kUnderReview);
    EXPECT_EQ(next_agency_status(S::kUnderReview, A::kApprove), S::kLicensed);
    EXPECT_EQ(next_agency_status(S::kUnderReview, A::kReject), S::kRejected);
    EXPECT_EQ(next_agency_status(S::kLicensed, A::kSuspend), S::kSuspended);
    EXPECT_EQ(next_agency_status(S::kSuspended, A::kReinstate), S::kLicensed);
    EXPECT_EQ(next_agency_status(S::kSuspended, A::kRevoke), S::kRevoked);
    EXPECT_EQ(next_agency_status(S::kRenewalDue, A::kRenew), S::kLicensed);
    EXPECT_EQ(next_agency_status(S::kRevoked, A::kBan), S::kBanned);
    // Not allowed: approve without review, renew while suspended, anything after a ban.
    EXPECT_FALSE(next_agency_status(S::kApplied, A::kApprove));
    EXPECT_FALSE(next_agency_status(S::kSuspended, A::kRenew));
    EXPECT_FALSE(next_agency_status(S::kLicensed, A::kReinstate));
    EXPECT_FALSE(next_agency_status(S::kRejected, A::kApprove));
    for (const auto a :
         {A::kStartReview,
          A::kApprove,
          A::kReject,
          A::kSuspend,
          A::kReinstate,
          A::kRevoke,
          A::kRenew,
          A::kBan}) {
        EXPECT_FALSE(next_agency_status(S::kBanned, a)) << to_string(a);
    }
    EXPECT_TRUE(agency_may_recruit(S::kLicensed));
    EXPECT_TRUE(agency_may_recruit(S::kRenewalDue));
    for (const auto s :
         {S::kApplied,
          S::kUnderReview,
          S::kExpired,
          S::kRejected,
          S::kSuspended,
          S::kRevoked,
          S::kBanned}) {
        EXPECT_FALSE(agency_may_recruit(s)) << to_string(s);
    }
}

TEST(RegistryRulesTest, LicencesFallDueAndExpireByTheClock) {
    const Day until = day("2027-06-30");
    EXPECT_EQ(
        agency_status_on(AgencyStatus::kLicensed, until, day("2027-04-01"), 60),
        AgencyStatus::kLicensed
    );
    EXPECT_EQ(
        agency_status_on(AgencyStatus::kLicensed, until, day("2027-05-01"), 60),
        AgencyStatus::kRenewalDue
    );
    EXPECT_EQ(
        agency_status_on(AgencyStatus::kLicensed, until, day("2027-06-30"), 60),
        AgencyStatus::kRenewalDue
    );
    EXPECT_EQ(
        agency_status_on(AgencyStatus::kRenewalDue, until, day("2027-07-01"), 60),
        AgencyStatus::kExpired
    );
    EXPECT_EQ(
        agency_status_on(AgencyStatus::kSuspended, until, day("2027-07-01"), 60),
        AgencyStatus::kSuspended
    );
}

TEST(RegistryRulesTest, ComplaintLifecycle) {
    using S = ComplaintStatus;
    using A = ComplaintAction;
    EXPECT_EQ(next_complaint_status(S::kOpen, A::kInvestigate), S::kInvestigating);
    EXPECT_EQ(next_complaint_status(S::kInvestigating, A::kResolve), S::kResolved);
    EXPECT_EQ(next_complaint_status(S::kOpen, A::kReferNrm), S::kReferredNrm);
    EXPECT_FALSE(next_complaint_status(S::kInvestigating, A::kInvestigate));
    EXPECT_FALSE(next_complaint_status(S::kResolved, A::kDismiss));
    EXPECT_FALSE(next_complaint_status(S::kReferredNrm, A::kResolve));
    EXPECT_TRUE(is_complaint_category("trafficking_indicator"));
    EXPECT_FALSE(is_complaint_category("rude_staff"));
}

TEST(RegistryRulesTest, DirectivesExtendLegalValidityNotThePrintedDate) {
    // An LEP printed to expire 2025-11-29; Directive 21 of 2025 (published 2025-10-07) extends
    // LEPs to 2027-05-28.
    const std::vector<Directive> directives{
        {"Directive 21/2025", "LEP", day("2027-05-28"), day("2025-10-07")},
        {"ZEP directive", "other", day("2030-01-01"), day("2025-10-07")}};
    const auto printed = day("2025-11-29");
    auto s = permit_standing(PermitStatus::kValid, "LEP", printed, directives, day("2025-06-01"));
    EXPECT_EQ(s.status, PermitStatus::kValid);
    EXPECT_EQ(s.legal_expiry, printed) << "the directive is not yet published";
    s = permit_standing(PermitStatus::kValid, "LEP", printed, directives, day("2026-11-23"));
    EXPECT_EQ(s.status, PermitStatus::kExtendedByDirective);
    EXPECT_EQ(s.legal_expiry, day("2027-05-28"));
    EXPECT_EQ(s.directive_ref, "Directive 21/2025");
    s = permit_standing(
        PermitStatus::kExtendedByDirective, "LEP", printed, directives, day("2027-05-29")
    );
    EXPECT_EQ(s.status, PermitStatus::kExpired);
    // Other types and revoked permits are untouched.
    EXPECT_EQ(
        permit_standing(PermitStatus::kValid, "LSP", printed, directives, day("2026-11-23")).status,
        PermitStatus::kExpired
    );
    EXPECT_EQ(
        permit_standing(PermitStatus::kRevoked, "LEP", printed, directives, day("2026-11-23"))
            .status,
        PermitStatus::kRevoked
    );
    EXPECT_EQ(
        permit_standing(
            PermitStatus::kSubmitted, "LEP", std::nullopt, directives, day("2026-11-23")
        )
            .status,
        PermitStatus::kSubmitted
    );
}

TEST(RegistryRulesTest, PermitTransitions) {
    EXPECT_TRUE(permit_transition_allowed(PermitStatus::kSubmitted, PermitStatus::kInAdjudication));
    EXPECT_TRUE(permit_transition_allowed(PermitStatus::kValid, PermitStatus::kRevoked));
    EXPECT_FALSE(permit_transition_allowed(PermitStatus::kRevoked, PermitStatus::kValid));
    EXPECT_FALSE(permit_transition_allowed(PermitStatus::kRefusedFinal, PermitStatus::kApproved));
    EXPECT_FALSE(permit_transition_allowed(PermitStatus::kDraft, PermitStatus::kValid));
}

TEST(RegistryRulesTest, TheApplicationAndDecisionPhasesAlongTheTable) {
    using P = PermitStatus;
    // An application recorded as submitted, carried to issue and then the dates take over.
    const std::vector<P> granted{
        P::kSubmitted,
        P::kInAdjudication,
        P::kApproved,
        P::kReadyForCollection,
        P::kIssued,
        P::kValid};
    for (std::size_t i = 1; i < granted.size(); ++i) {
        EXPECT_TRUE(permit_transition_allowed(granted[i - 1], granted[i]))
            << to_string(granted[i - 1]) << " -> " << to_string(granted[i]);
    }
    // Refused after review; an appeal may still end approved.
    EXPECT_TRUE(permit_transition_allowed(P::kInAdjudication, P::kRejected));
    EXPECT_TRUE(permit_transition_allowed(P::kRejected, P::kAppealOrReviewPending));
    EXPECT_TRUE(permit_transition_allowed(P::kAppealOrReviewPending, P::kRefusedFinal));
    EXPECT_TRUE(permit_transition_allowed(P::kAppealOrReviewPending, P::kApproved));
    // No skipping the decision, no way back from a final refusal.
    EXPECT_FALSE(permit_transition_allowed(P::kSubmitted, P::kIssued));
    EXPECT_FALSE(permit_transition_allowed(P::kSubmitted, P::kApproved));
    EXPECT_FALSE(permit_transition_allowed(P::kRejected, P::kApproved));
    EXPECT_FALSE(permit_transition_allowed(P::kRefusedFinal, P::kAppealOrReviewPending));
    // Who may record what, and when the receipt is needed.
    for (const P p : {P::kDraft, P::kFeePaid, P::kAppointmentBooked, P::kSubmitted}) {
        EXPECT_TRUE(permit_application_entry(p)) << to_string(p);
        EXPECT_TRUE(permit_before_issue(p)) << to_string(p);
    }
    for (const P p : {P::kInAdjudication, P::kApproved, P::kIssued, P::kValid, P::kRejected}) {
        EXPECT_FALSE(permit_application_entry(p)) << to_string(p);
    }
    EXPECT_FALSE(permit_needs_vfs_reference(P::kDraft));
    EXPECT_FALSE(permit_needs_vfs_reference(P::kAppointmentBooked));
    EXPECT_TRUE(permit_needs_vfs_reference(P::kSubmitted));
    EXPECT_TRUE(permit_needs_vfs_reference(P::kRefusedFinal));
    EXPECT_FALSE(permit_needs_vfs_reference(P::kIssued)) << "issued: the number takes over";
    for (const P p :
         {P::kIssued,
          P::kValid,
          P::kExpired,
          P::kExtendedByDirective,
          P::kRevoked,
          P::kSuperseded}) {
        EXPECT_FALSE(permit_before_issue(p)) << to_string(p);
    }
    EXPECT_TRUE(permit_application_pending(P::kSubmitted));
    EXPECT_TRUE(permit_application_pending(P::kReadyForCollection));
    EXPECT_FALSE(permit_application_pending(P::kDraft)) << "no receipt yet";
    EXPECT_FALSE(permit_application_pending(P::kRejected));
    EXPECT_FALSE(permit_application_pending(P::kAppealOrReviewPending));
    EXPECT_FALSE(permit_application_pending(P::kRefusedFinal));
}

TEST(RegistryRulesTest, TheCalendarMovesDatedStatusesAlongAllowedTransitionsOnly) {
    using P = PermitStatus;
    using S = PermitStatusSource;
    using Steps = std::vector<P>;
    // What the calendar derived, it may derive again.
    EXPECT_EQ(calendar_steps(P::kValid, S::kCalendar, P::kExpired), Steps{P::kExpired});
    EXPECT_EQ(
        calendar_steps(P::kExpired, S::kCalendar, P::kExtendedByDirective),
        Steps{P::kExtendedByDirective}
    ) << "a directive published after the lapse revives the permit";
    EXPECT_EQ(calendar_steps(P::kValid, S::kCalendar, P::kValid), Steps{});
    // Never a move the lifecycle refuses, whoever set the status.
    EXPECT_EQ(calendar_steps(P::kExpired, S::kCalendar, P::kValid), Steps{});
    EXPECT_EQ(calendar_steps(P::kExtendedByDirective, S::kCalendar, P::kValid), Steps{});
    // An officer's decision stands: expired stays expired, even when the dates say valid or a
    // directive says extended.
    EXPECT_EQ(calendar_steps(P::kExpired, S::kOfficer, P::kValid), Steps{});
    EXPECT_EQ(calendar_steps(P::kExpired, S::kOfficer, P::kExtendedByDirective), Steps{});
    EXPECT_EQ(calendar_steps(P::kExtendedByDirective, S::kOfficer, P::kExpired), Steps{});
    EXPECT_EQ(calendar_steps(P::kExpired, S::kRegistry, P::kExtendedByDirective), Steps{});
    // Issued and valid are where the dates take over, whoever set them; issued goes through valid.
    EXPECT_EQ(calendar_steps(P::kValid, S::kOfficer, P::kExpired), Steps{P::kExpired});
    EXPECT_EQ(calendar_steps(P::kIssued, S::kOfficer, P::kValid), Steps{P::kValid});
    EXPECT_EQ(
        calendar_steps(P::kIssued, S::kOfficer, P::kExpired), (Steps{P::kValid, P::kExpired})
    );
    EXPECT_EQ(
        calendar_steps(P::kIssued, S::kCalendar, P::kExtendedByDirective),
        (Steps{P::kValid, P::kExtendedByDirective})
    );
    // Every step of every answer is an allowed transition, from every status and source.
    for (int r = 0; r <= static_cast<int>(P::kSuperseded); ++r) {
        for (int c = 0; c <= static_cast<int>(P::kSuperseded); ++c) {
            for (const S source : {S::kCalendar, S::kOfficer, S::kRegistry, S::kApplicant}) {
                P from = static_cast<P>(r);
                for (const P step : calendar_steps(from, source, static_cast<P>(c))) {
                    EXPECT_TRUE(permit_transition_allowed(from, step))
                        << to_string(from) << " -> " << to_string(step);
                    from = step;
                }
            }
        }
    }
    // Applications and decisions are no date's to move, whoever recorded them.
    for (const S source : {S::kCalendar, S::kOfficer, S::kApplicant}) {
        EXPECT_EQ(calendar_steps(P::kSubmitted, source, P::kInAdjudication), Steps{});
        EXPECT_EQ(calendar_steps(P::kReadyForCollection, source, P::kIssued), Steps{});
        EXPECT_EQ(calendar_steps(P::kRejected, source, P::kAppealOrReviewPending), Steps{});
    }
    EXPECT_EQ(permit_status_source_from("officer"), S::kOfficer);
    EXPECT_EQ(permit_status_source_from("applicant"), S::kApplicant);
    EXPECT_EQ(to_string(S::kCalendar), "calendar");
    EXPECT_FALSE(permit_status_source_from("job").has_value());
}

TEST(RegistryRulesTest, KycTiers) {
    EXPECT_EQ(kyc_tier({}), KycTier::kBasic);
    EXPECT_EQ(kyc_tier({true, false, true, false}), KycTier::kBasic)
        << "unverified permits do not raise the tier";
    EXPECT_EQ(kyc_tier({true, true, true, false}), KycTier::kStandard);
    EXPECT_EQ(kyc_tier({true, true, true, true}), KycTier::kEnhanced);
    EXPECT_EQ(kyc_tier({true, true, false, true}), KycTier::kRestricted)
        << "a lapsed permit lowers the tier";
    // An expired permit plus a submitted application (VFS receipt) keeps basic, never more.
    KycFacts applicant{true, true, false, false, true, false};
    EXPECT_EQ(kyc_tier(applicant), KycTier::kBasic);
    applicant.verified_permit_revoked = true;
    EXPECT_EQ(kyc_tier(applicant), KycTier::kRestricted) << "a receipt does not undo a revocation";
    EXPECT_EQ(kyc_tier({false, false, false, false, true, false}), KycTier::kBasic)
        << "an application is not a verified permit: no raise";
    EXPECT_EQ(kyc_tier({true, true, true, false, true, false}), KycTier::kStandard);
}

}  // namespace
}  // namespace chelete::registry
