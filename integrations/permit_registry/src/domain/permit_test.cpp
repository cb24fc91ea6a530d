#include <string>

#include <gtest/gtest.h>

#include <chelete/permit_registry/lookup.hpp>
#include <chelete/permit_registry/permit.hpp>

namespace chelete::permit_registry {
namespace {

platform::Date date(const char* text) {
    return *platform::parse_date(text);
}

/// An LEP extended by the 2025 directive: printed 2023-12-31, legally valid until 2027-05-28.
PermitRecord extended_lep() {
    PermitRecord r;
    r.number = "LEP-2020-004512";
    r.type = PermitType::kLep;
    r.holder_surname = "Mokoena";
    r.status = PermitStatus::kValid;
    r.issued_on = date("2020-01-01");
    r.printed_expiry = date("2023-12-31");
    r.legal_expiry = date("2027-05-28");
    r.directive_ref = "Immigration Directive No. 21 of 2025";
    return r;
}

TEST(PermitNames, EveryTypeAndStatusRoundTripsThroughItsWireName) {
    for (const auto type : {PermitType::kLsp, PermitType::kLep, PermitType::kWorkVisa}) {
        EXPECT_EQ(parse_permit_type(to_string(type)), type);
    }
    for (const auto status :
         {PermitStatus::kValid,
          PermitStatus::kExpired,
          PermitStatus::kRevoked,
          PermitStatus::kSuperseded,
          PermitStatus::kInAdjudication,
          PermitStatus::kRejected}) {
        EXPECT_EQ(parse_permit_status(to_string(status)), status);
    }
    EXPECT_EQ(to_string(PermitType::kWorkVisa), "work_visa");
    EXPECT_EQ(to_string(PermitStatus::kInAdjudication), "in_adjudication");
}

TEST(PermitNames, WireNamesAreCaseSensitiveAndClosed) {
    EXPECT_FALSE(parse_permit_type("lep"));
    EXPECT_FALSE(parse_permit_type("ZEP"));
    EXPECT_FALSE(parse_permit_status("VALID"));
    EXPECT_FALSE(parse_permit_status("extended_by_directive"));
    EXPECT_FALSE(parse_permit_status(""));
}

TEST(PermitNumber, AcceptsReferenceShapesAndRefusesAnythingElse) {
    EXPECT_TRUE(is_valid_permit_number("LEP-2020-004512"));
    EXPECT_TRUE(is_valid_permit_number("a"));
    EXPECT_TRUE(is_valid_permit_number(std::string(kMaxPermitNumberLength, '7')));
    EXPECT_FALSE(is_valid_permit_number(""));
    EXPECT_FALSE(is_valid_permit_number(std::string(kMaxPermitNumberLength + 1, '7')));
    EXPECT_FALSE(is_valid_permit_number("LEP 123"));
    EXPECT_FALSE(is_valid_permit_number("../admin"));
    EXPECT_FALSE(is_valid_permit_number("LEP?x=1"));
    EXPECT_FALSE(is_valid_permit_number("LEP%2F1"));
}

TEST(Surname, RefusesEmptyBlankOverlongAndControlCharacters) {
    EXPECT_TRUE(is_valid_surname("Mokoena"));
    EXPECT_TRUE(is_valid_surname("O'Neil-Ntšekhe"));
    EXPECT_FALSE(is_valid_surname(""));
    EXPECT_FALSE(is_valid_surname("   "));
    EXPECT_FALSE(is_valid_surname("Mo\nkoena"));
    EXPECT_FALSE(is_valid_surname(std::string(kMaxSurnameBytes + 1, 'a')));
}

TEST(Surname, ComparesAsciiLettersCaseInsensitivelyAndOtherBytesExactly) {
    EXPECT_TRUE(same_surname("Mokoena", "MOKOENA"));
    EXPECT_TRUE(same_surname("ntšekhe", "NTšEKHE"));
    EXPECT_FALSE(same_surname("Ntšekhe", "NTŠEKHE"));
    EXPECT_FALSE(same_surname("Mokoena", "Mokoena "));
    EXPECT_FALSE(same_surname("Mokoena", "Mokena"));
}

TEST(Consistency, AnExtendedLepWithItsDirectiveIsConsistent) {
    EXPECT_EQ(find_inconsistency(extended_lep()), std::nullopt);
}

TEST(Consistency, ALegalExpiryAwayFromThePrintedOneNeedsADirective) {
    auto r = extended_lep();
    r.directive_ref.reset();
    const auto problem = find_inconsistency(r);
    ASSERT_TRUE(problem);
    EXPECT_NE(problem->find("directive_ref"), std::string::npos) << *problem;

    r.legal_expiry = r.printed_expiry;  // no extension: no directive needed
    EXPECT_EQ(find_inconsistency(r), std::nullopt);
}

TEST(Consistency, AnIssuedPermitNeedsAllThreeDates) {
    for (auto missing :
         {&PermitRecord::issued_on, &PermitRecord::printed_expiry, &PermitRecord::legal_expiry}) {
        auto r = extended_lep();
        (r.*missing).reset();
        EXPECT_TRUE(find_inconsistency(r)) << "a missing date went unnoticed";
    }
}

TEST(Consistency, NothingExpiresBeforeItWasIssued) {
    auto r = extended_lep();
    r.printed_expiry = date("2019-12-31");
    EXPECT_TRUE(find_inconsistency(r));
    r = extended_lep();
    r.legal_expiry = date("2019-12-31");
    EXPECT_TRUE(find_inconsistency(r));
}

TEST(Consistency, AnApplicationCarriesNoPermitDates) {
    PermitRecord application;
    application.number = "VFS-LS-88123";
    application.type = PermitType::kLep;
    application.holder_surname = "Letsie";
    application.status = PermitStatus::kInAdjudication;
    EXPECT_EQ(find_inconsistency(application), std::nullopt);
    application.issued_on = date("2024-02-01");
    EXPECT_TRUE(find_inconsistency(application));
}

TEST(Consistency, RefusesBadNumbersSurnamesAndDirectiveRefs) {
    auto r = extended_lep();
    r.number = "LEP 1";
    EXPECT_TRUE(find_inconsistency(r));
    r = extended_lep();
    r.holder_surname = "";
    EXPECT_TRUE(find_inconsistency(r));
    r = extended_lep();
    r.directive_ref = "";
    EXPECT_TRUE(find_inconsistency(r));
    r = extended_lep();
    r.directive_ref = std::string(kMaxDirectiveRefBytes + 1, 'x');
    EXPECT_TRUE(find_inconsistency(r));
    r = extended_lep();
    r.directive_ref = "Directive\x1b[31m";
    EXPECT_TRUE(find_inconsistency(r));
}

TEST(UnavailableReasonNames, AreDistinctForLogs) {
    EXPECT_EQ(to_string(UnavailableReason::kUnauthorized), "unauthorized");
    EXPECT_EQ(to_string(UnavailableReason::kTimeout), "timeout");
    EXPECT_NE(
        to_string(UnavailableReason::kMalformedResponse),
        to_string(UnavailableReason::kUnexpectedResponse)
    );
}

}  // namespace
}  // namespace chelete::permit_registry
