#include "domain/reply_class.hpp"

#include <gtest/gtest.h>

namespace chelete::mobile_money::domain {
namespace {

ReplyVerdict v(ReplyClass reply, FailureKind failure = FailureKind::kNone) {
    return ReplyVerdict{reply, failure};
}

TEST(MpesaCodes, EveryCodeOfTheDomainTableHasItsClass) {
    EXPECT_EQ(classify_mpesa_code("INS-0"), v(ReplyClass::kSuccess));
    for (const char* code : {"INS-1", "INS-9", "INS-10", "INS-16", "INS-23"}) {
        EXPECT_EQ(classify_mpesa_code(code), v(ReplyClass::kUnknown)) << code;
    }
    for (const char* code :
         {"INS-2",
          "INS-4",
          "INS-13",
          "INS-14",
          "INS-15",
          "INS-17",
          "INS-18",
          "INS-19",
          "INS-20",
          "INS-21",
          "INS-24",
          "INS-25",
          "INS-26",
          "INS-993",
          "INS-994",
          "INS-997",
          "INS-998",
          "INS-2001",
          "INS-2057"}) {
        EXPECT_EQ(classify_mpesa_code(code), v(ReplyClass::kFailed, FailureKind::kOurRequest))
            << code;
    }
    for (const char* code : {"INS-5", "INS-6", "INS-995", "INS-996", "INS-2002", "INS-2051"}) {
        EXPECT_EQ(classify_mpesa_code(code), v(ReplyClass::kFailed, FailureKind::kRecipient))
            << code;
    }
    EXPECT_EQ(
        classify_mpesa_code("INS-2006"), v(ReplyClass::kFailed, FailureKind::kInsufficientFloat)
    );
    EXPECT_EQ(classify_mpesa_code("INS-989"), v(ReplyClass::kAuthExpired));
}

TEST(MpesaCodes, AnUnrecognisedCodeIsTerminalButMarkedUnrecognised) {
    for (const char* code : {"INS-3", "INS-99999", "ins-0", "INS-0 ", "", "0"}) {
        EXPECT_EQ(classify_mpesa_code(code), v(ReplyClass::kFailed, FailureKind::kUnrecognised))
            << code;
    }
}

TEST(MpesaReplies, TheContractAnswersOfB2cPayment) {
    EXPECT_EQ(classify_mpesa_reply(201, "INS-0", ""), v(ReplyClass::kSuccess));
    EXPECT_EQ(classify_mpesa_reply(409, "INS-10", ""), v(ReplyClass::kUnknown));
    EXPECT_EQ(
        classify_mpesa_reply(422, "INS-2006", ""),
        v(ReplyClass::kFailed, FailureKind::kInsufficientFloat)
    );
    EXPECT_EQ(
        classify_mpesa_reply(400, "INS-2051", ""), v(ReplyClass::kFailed, FailureKind::kRecipient)
    );
    for (const char* code : {"INS-13", "INS-15", "INS-17", "INS-20"}) {
        EXPECT_EQ(
            classify_mpesa_reply(400, code, ""), v(ReplyClass::kFailed, FailureKind::kOurRequest)
        ) << code;
    }
    EXPECT_EQ(classify_mpesa_reply(500, "INS-1", ""), v(ReplyClass::kUnknown));
    EXPECT_EQ(classify_mpesa_reply(408, "INS-9", ""), v(ReplyClass::kUnknown));
    EXPECT_EQ(classify_mpesa_reply(503, "INS-16", ""), v(ReplyClass::kUnknown));
    EXPECT_EQ(classify_mpesa_reply(200, "INS-23", ""), v(ReplyClass::kUnknown));
    EXPECT_EQ(classify_mpesa_reply(401, "INS-989", ""), v(ReplyClass::kAuthExpired));
    EXPECT_EQ(classify_mpesa_reply(503, "", "service_unavailable"), v(ReplyClass::kRefused));
}

TEST(MpesaReplies, AStatusThatContradictsTheCodeProvesNothing) {
    EXPECT_EQ(classify_mpesa_reply(500, "INS-0", ""), v(ReplyClass::kUnknown));
    EXPECT_EQ(classify_mpesa_reply(502, "INS-2051", ""), v(ReplyClass::kUnknown));
    EXPECT_EQ(classify_mpesa_reply(200, "INS-2006", ""), v(ReplyClass::kUnknown));
    EXPECT_EQ(classify_mpesa_reply(500, "INS-99", ""), v(ReplyClass::kUnknown));
    EXPECT_EQ(classify_mpesa_reply(200, "INS-989", ""), v(ReplyClass::kUnknown));
    EXPECT_EQ(
        classify_mpesa_reply(400, "INS-99", ""), v(ReplyClass::kFailed, FailureKind::kUnrecognised)
    );
}

TEST(MpesaReplies, NoCodeIsUnknownExceptThePlainFrontEndRefusal) {
    EXPECT_EQ(classify_mpesa_reply(502, "", ""), v(ReplyClass::kUnknown));
    EXPECT_EQ(classify_mpesa_reply(503, "", ""), v(ReplyClass::kUnknown));
    EXPECT_EQ(classify_mpesa_reply(503, "", "overloaded"), v(ReplyClass::kUnknown));
    EXPECT_EQ(classify_mpesa_reply(500, "", "service_unavailable"), v(ReplyClass::kUnknown));
    EXPECT_EQ(classify_mpesa_reply(400, "", ""), v(ReplyClass::kUnknown));
}

TEST(EcocashReplies, TheContractAnswersOfDisbursements) {
    EXPECT_EQ(classify_ecocash_reply(202, ""), v(ReplyClass::kSuccess));
    EXPECT_EQ(classify_ecocash_reply(409, "duplicate_correlator"), v(ReplyClass::kUnknown));
    EXPECT_EQ(
        classify_ecocash_reply(422, "insufficient_funds"),
        v(ReplyClass::kFailed, FailureKind::kInsufficientFloat)
    );
    EXPECT_EQ(
        classify_ecocash_reply(400, "invalid_msisdn"),
        v(ReplyClass::kFailed, FailureKind::kRecipient)
    );
    EXPECT_EQ(
        classify_ecocash_reply(400, "invalid_request"),
        v(ReplyClass::kFailed, FailureKind::kOurRequest)
    );
    EXPECT_EQ(classify_ecocash_reply(500, "internal_error"), v(ReplyClass::kUnknown));
    EXPECT_EQ(classify_ecocash_reply(504, "gateway_timeout"), v(ReplyClass::kUnknown));
    EXPECT_EQ(classify_ecocash_reply(503, "service_unavailable"), v(ReplyClass::kRefused));
    EXPECT_EQ(classify_ecocash_reply(401, "invalid_token"), v(ReplyClass::kAuthExpired));
    EXPECT_EQ(
        classify_ecocash_reply(401, "invalid_client"),
        v(ReplyClass::kAuthRefused, FailureKind::kOurRequest)
    );
}

TEST(EcocashReplies, OtherAnswersAreUnknownOrUnrecognised) {
    EXPECT_EQ(
        classify_ecocash_reply(403, "forbidden"), v(ReplyClass::kFailed, FailureKind::kUnrecognised)
    );
    EXPECT_EQ(classify_ecocash_reply(404, ""), v(ReplyClass::kUnknown));
    EXPECT_EQ(classify_ecocash_reply(503, ""), v(ReplyClass::kUnknown));
    EXPECT_EQ(classify_ecocash_reply(502, "bad_gateway"), v(ReplyClass::kUnknown));
    EXPECT_EQ(classify_ecocash_reply(302, ""), v(ReplyClass::kUnknown));
    EXPECT_EQ(
        classify_ecocash_reply(409, "conflict"), v(ReplyClass::kFailed, FailureKind::kUnrecognised)
    );
}

TEST(MpesaResults, CallbackAndQueryCodesMapToPaymentStates) {
    EXPECT_EQ(mpesa_result_code_status("INS-0"), (PaymentVerdict{PaymentStatus::kPaid}));
    EXPECT_EQ(
        mpesa_result_code_status("INS-2051"),
        (PaymentVerdict{PaymentStatus::kFailed, FailureKind::kRecipient})
    );
    EXPECT_EQ(
        mpesa_result_code_status("INS-2006"),
        (PaymentVerdict{PaymentStatus::kFailed, FailureKind::kInsufficientFloat})
    );
    EXPECT_EQ(
        mpesa_result_code_status("INS-6"),
        (PaymentVerdict{PaymentStatus::kFailed, FailureKind::kRecipient})
    );
    EXPECT_EQ(mpesa_result_code_status("INS-9"), (PaymentVerdict{PaymentStatus::kPending}));
    EXPECT_EQ(mpesa_result_code_status("INS-23"), (PaymentVerdict{PaymentStatus::kPending}));
    EXPECT_EQ(
        mpesa_result_code_status("INS-4242"),
        (PaymentVerdict{PaymentStatus::kFailed, FailureKind::kUnrecognised})
    );
}

TEST(MpesaResults, QueryStatusesMustAgreeWithTheirResultCode) {
    EXPECT_EQ(mpesa_query_status("Completed", "INS-0"), (PaymentVerdict{PaymentStatus::kPaid}));
    EXPECT_EQ(
        mpesa_query_status("Completed", "INS-2051"), (PaymentVerdict{PaymentStatus::kUnknown})
    );
    EXPECT_EQ(
        mpesa_query_status("Failed", "INS-2051"),
        (PaymentVerdict{PaymentStatus::kFailed, FailureKind::kRecipient})
    );
    EXPECT_EQ(mpesa_query_status("Failed", "INS-0"), (PaymentVerdict{PaymentStatus::kUnknown}));
    EXPECT_EQ(mpesa_query_status("Failed", "INS-9"), (PaymentVerdict{PaymentStatus::kUnknown}));
    EXPECT_EQ(mpesa_query_status("Pending", ""), (PaymentVerdict{PaymentStatus::kPending}));
    EXPECT_EQ(mpesa_query_status("NotFound", ""), (PaymentVerdict{PaymentStatus::kNotFound}));
    EXPECT_EQ(mpesa_query_status("completed", "INS-0"), (PaymentVerdict{PaymentStatus::kUnknown}));
    EXPECT_EQ(mpesa_query_status("", ""), (PaymentVerdict{PaymentStatus::kUnknown}));
}

TEST(EcocashResults, OperationStatusesAndReasons) {
    EXPECT_EQ(ecocash_operation_status("COMPLETED", ""), (PaymentVerdict{PaymentStatus::kPaid}));
    EXPECT_EQ(ecocash_operation_status("PENDING", ""), (PaymentVerdict{PaymentStatus::kPending}));
    EXPECT_EQ(
        ecocash_operation_status("FAILED", "insufficient_funds"),
        (PaymentVerdict{PaymentStatus::kFailed, FailureKind::kInsufficientFloat})
    );
    EXPECT_EQ(
        ecocash_operation_status("FAILED", "invalid_msisdn"),
        (PaymentVerdict{PaymentStatus::kFailed, FailureKind::kRecipient})
    );
    EXPECT_EQ(
        ecocash_operation_status("FAILED", "invalid_request"),
        (PaymentVerdict{PaymentStatus::kFailed, FailureKind::kOurRequest})
    );
    EXPECT_EQ(
        ecocash_operation_status("FAILED", "subscriber barred"),
        (PaymentVerdict{PaymentStatus::kFailed, FailureKind::kUnrecognised})
    );
    EXPECT_EQ(ecocash_operation_status("Completed", ""), (PaymentVerdict{PaymentStatus::kUnknown}));
    EXPECT_EQ(ecocash_operation_status("", ""), (PaymentVerdict{PaymentStatus::kUnknown}));
}

TEST(ReplyClassNames, AreStable) {
    EXPECT_EQ(to_string(ReplyClass::kRefused), "refused");
    EXPECT_EQ(to_string(ReplyClass::kAuthExpired), "auth_expired");
}

}  // namespace
}  // namespace chelete::mobile_money::domain
