#include <gtest/gtest.h>

#include <chelete/platform/id.hpp>

namespace chelete::platform {
namespace {

TEST(IdTest, FormatsAsUuidAndParsesBack) {
    const Id128 id{0x0123456789abcdefULL, 0xfedcba9876543210ULL};
    EXPECT_EQ(id.to_string(), "01234567-89ab-cdef-fedc-ba9876543210");
    EXPECT_EQ(Id128::parse(id.to_string()), id);
    EXPECT_EQ(Id128::parse("0123456789ABCDEFFEDCBA9876543210"), id);
}

TEST(IdTest, RefusesMalformedText) {
    for (const char* bad :
         {"",
          "0123",
          "01234567-89ab-cdef-fedc-ba987654321",
          "01234567x89ab-cdef-fedc-ba9876543210",
          "0123456789abcdeffedcba987654321g",
          "01234567-89ab-cdef-fedc-ba9876543210 "}) {
        EXPECT_FALSE(Id128::parse(bad).has_value()) << bad;
    }
}

TEST(IdTest, UuidV7HasVersionAndVariantAndIsTimeOrdered) {
    const auto a = make_uuid_v7(1000, 0xFFFF, 0xFFFFFFFFFFFFFFFFULL);
    const auto b = make_uuid_v7(1001, 0, 0);
    EXPECT_EQ(a.to_string()[14], '7');
    EXPECT_EQ((a.lo >> 62U), 2U);
    EXPECT_LT(a, b);
}

TEST(IdTest, SequentialGeneratorIsDeterministic) {
    SequentialIdGenerator g1;
    SequentialIdGenerator g2;
    EXPECT_EQ(g1.next(), g2.next());
    EXPECT_NE(g1.next(), g1.next());
}

}  // namespace
}  // namespace chelete::platform
