#include "domain/catalogue.hpp"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace chelete::sms {
namespace {

constexpr Language kLanguages[] = {Language::kEnglish, Language::kSesotho};  // NOLINT

std::set<std::string> placeholders(std::string_view text) {
    std::set<std::string> out;
    std::size_t i = 0;
    while ((i = text.find('{', i)) != std::string_view::npos) {
        const auto close = text.find('}', i);
        EXPECT_NE(close, std::string_view::npos) << text;
        out.emplace(text.substr(i + 1, close - i - 1));
        i = close;
    }
    return out;
}

TEST(CatalogueTest, HoldsEveryTemplateInUse) {
    for (const char* name :
         {"beneficiary_welcome",
          "permit_expiry",
          "remittance_created",
          "remittance_incoming",
          "remittance_paid",
          "remittance_received",
          "remittance_failed",
          "remittance_refunded",
          "remittance_rejected",
          "payout_method_changed",
          "voucher_issued"}) {
        EXPECT_NE(find_template(name), nullptr) << name;
    }
    EXPECT_TRUE(find_template("beneficiary_welcome")->secret);
    EXPECT_TRUE(find_template("voucher_issued")->secret);
    EXPECT_FALSE(find_template("remittance_paid")->secret);
    EXPECT_EQ(find_template("nope"), nullptr);
}

TEST(CatalogueTest, TextsAreGsm7BasicAndUseExactlyTheDeclaredParameters) {
    for (const Template& t : catalogue()) {
        std::set<std::string> declared;
        for (const auto& p : t.params) {
            declared.emplace(p.name);
            EXPECT_GT(p.max_length, 0U);
        }
        for (const Language language : kLanguages) {
            const std::string_view text = t.text(language);
            EXPECT_EQ(placeholders(text), declared) << t.name << " " << to_string(language);
            // The fixed text (placeholders aside) is one septet per character: nothing in it can
            // push a message into UCS-2 or past the worst case.
            std::string fixed{text};
            for (const auto& p : t.params) {
                const std::string placeholder = "{" + std::string{p.name} + "}";
                for (auto at = fixed.find(placeholder); at != std::string::npos;
                     at = fixed.find(placeholder)) {
                    fixed.erase(at, placeholder.size());
                }
            }
            const auto length = measure(fixed);
            ASSERT_TRUE(length.has_value());
            EXPECT_EQ(length->encoding, Encoding::kGsm7) << t.name;
            EXPECT_EQ(length->units, code_points(fixed)) << t.name << ": an extension character";
            EXPECT_TRUE(text.starts_with("Chelete: ")) << t.name;
        }
    }
}

TEST(CatalogueTest, EveryTemplateAtWorstCaseParametersFitsOneSmsInBothLanguages) {
    for (const Template& t : catalogue()) {
        for (const Language language : kLanguages) {
            const auto rendered = render(t.name, language, worst_case_params(t));
            ASSERT_TRUE(rendered.ok()) << t.name << ": " << rendered.error().message;
            EXPECT_EQ(rendered->length.encoding, Encoding::kGsm7) << t.name;
            EXPECT_LE(rendered->length.units, kGsm7SingleSegment)
                << t.name << " " << to_string(language) << ": " << rendered->text;
            EXPECT_EQ(rendered->length.segments, 1U) << t.name;
            EXPECT_EQ(rendered->secret, t.secret);
        }
    }
}

TEST(CatalogueTest, LongAndForeignNamesAreFoldedAndTruncatedToStayOneSms) {
    // Names far past the limit, with letters outside GSM-7 (which alone would mean UCS-2 and a
    // 70-character limit) and extension characters (two septets each).
    const std::string huge = "Tšepiso ’Mathabo Nthabiseng [Ramakatsa-Mokoena] € Lebona Molefi";
    for (const Template& t : catalogue()) {
        Params params = worst_case_params(t);
        for (const auto& p : t.params) {
            if (p.kind == ParamKind::kName) {
                params[std::string{p.name}] = huge;
            }
        }
        for (const Language language : kLanguages) {
            const auto rendered = render(t.name, language, params);
            ASSERT_TRUE(rendered.ok()) << t.name;
            EXPECT_EQ(rendered->length.encoding, Encoding::kGsm7) << rendered->text;
            EXPECT_EQ(rendered->length.segments, 1U) << rendered->text;
        }
    }
    const auto paid = render(
        "remittance_received",
        Language::kSesotho,
        {{"amount", "493.00"}, {"sender_name", huge}, {"ref", "AB12CD34EF"}}
    );
    ASSERT_TRUE(paid.ok());
    EXPECT_EQ(
        paid->text,  // cut after the last whole word that fits in 20 characters
        "Chelete: U amohetse M493.00 ho tsoa ho Tsepiso 'Mathabo. Ref AB12CD34EF."
    );
}

TEST(CatalogueTest, RendersTheExpectedTexts) {
    const auto st = render(
        "remittance_incoming",
        Language::kSesotho,
        {{"amount", "500.00"}, {"sender_name", "Lerato Mokoena"}, {"ref", "7F3A9C21B0"}}
    );
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(
        st->text,
        "Chelete: U romeletsoe M500.00 ke Lerato Mokoena. Ref 7F3A9C21B0. Re tla u tsebisa ha "
        "chelete e fihla ho uena."
    );
    const auto en = render(
        "permit_expiry",
        Language::kEnglish,
        {{"permit_type", "work_visa"}, {"legal_expiry", "2026-03-31"}}
    );
    ASSERT_TRUE(en.ok());
    EXPECT_EQ(
        en->text,
        "Chelete: Your work visa permit expires on 2026-03-31. Renew it in time to keep working "
        "and sending money legally."
    );
}

TEST(CatalogueTest, RefusesUnknownTemplatesAndMissingUnknownOrBadParameters) {
    const auto unknown = render("no_such", Language::kEnglish, {});
    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(unknown.error().code, RenderErrorCode::kUnknownTemplate);

    const auto missing = render("beneficiary_welcome", Language::kEnglish, {{"name", "Mpho"}});
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, RenderErrorCode::kMissingParam);
    EXPECT_NE(missing.error().message.find("'pin'"), std::string::npos);

    const auto extra = render(
        "beneficiary_welcome", Language::kEnglish, {{"name", "Mpho"}, {"pin", "48213"}, {"x", "1"}}
    );
    ASSERT_FALSE(extra.ok());
    EXPECT_EQ(extra.error().code, RenderErrorCode::kUnknownParam);

    for (const char* bad_pin : {"", "123", "1234567", "12a45", "12 45"}) {
        const auto r =
            render("beneficiary_welcome", Language::kSesotho, {{"name", "Mpho"}, {"pin", bad_pin}});
        ASSERT_FALSE(r.ok()) << bad_pin;
        EXPECT_EQ(r.error().code, RenderErrorCode::kBadParam);
        // A refused value (here a would-be PIN) never appears in the message.
        if (std::string{bad_pin}.size() > 2) {
            EXPECT_EQ(r.error().message.find(bad_pin), std::string::npos);
        }
    }
    for (const char* bad_amount : {"500", "500.0", "0500.00", "1000000000.00", "-5.00", "5,00"}) {
        const auto r = render(
            "remittance_refunded", Language::kEnglish, {{"amount", bad_amount}, {"ref", "AB"}}
        );
        EXPECT_FALSE(r.ok()) << bad_amount;
    }
    EXPECT_FALSE(render(
                     "permit_expiry",
                     Language::kEnglish,
                     {{"permit_type", "LSP"}, {"legal_expiry", "2026-13-01"}}
    ).ok());
    EXPECT_FALSE(
        render("remittance_refunded", Language::kEnglish, {{"amount", "1.00"}, {"ref", "A B"}}).ok()
    );
    EXPECT_FALSE(
        render("beneficiary_welcome", Language::kEnglish, {{"name", " \n "}, {"pin", "48213"}}).ok()
    );
}

TEST(CatalogueTest, LanguagesHaveTheirCodes) {
    EXPECT_EQ(language_from("st"), Language::kSesotho);
    EXPECT_EQ(language_from("en"), Language::kEnglish);
    EXPECT_FALSE(language_from("EN").has_value());
    EXPECT_FALSE(language_from("zu").has_value());
    EXPECT_EQ(to_string(Language::kSesotho), "st");
}

}  // namespace
}  // namespace chelete::sms
