#include <array>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chelete/gateway/console.hpp>

namespace chelete::gateway {
namespace {

using ::testing::HasSubstr;

const ConsoleFiles& files() {
    static const ConsoleFiles kFiles;
    return kFiles;
}

std::set<std::string> all_matches(const std::string& text, const std::regex& re) {
    std::set<std::string> out;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator();
         ++it) {
        out.insert((*it)[1].str());
    }
    return out;
}

TEST(ConsoleFilesTest, ServesThePageAndItsModulesWithTheirContentTypes) {
    const auto* page = files().find("index.html");
    ASSERT_NE(page, nullptr);
    EXPECT_EQ(page->content_type, "text/html; charset=utf-8");
    const auto* app = files().find("app.js");
    ASSERT_NE(app, nullptr);
    EXPECT_EQ(app->content_type, "text/javascript; charset=utf-8");
    const auto* css = files().find("console.css");
    ASSERT_NE(css, nullptr);
    EXPECT_EQ(css->content_type, "text/css; charset=utf-8");
    EXPECT_EQ(files().find("missing.js"), nullptr);
    EXPECT_EQ(files().find(""), nullptr);
}

TEST(ConsoleFilesTest, RefusesAFileWithoutAKnownContentType) {
    const std::array<std::pair<std::string_view, std::string_view>, 1> stray{{{"logo.png", "x"}}};
    EXPECT_THROW(ConsoleFiles{stray}, std::invalid_argument);
}

TEST(ConsoleFilesTest, EveryReferenceResolvesAndEveryFileIsReferenced) {
    // A module imported under a name that is not embedded would fail only in the browser.
    std::set<std::string> referenced;
    const std::regex page_ref{R"re((?:src|href)="/console/([^"]+)")re"};
    const std::regex module_ref{R"re((?:from|import)\s*\(?\s*'\./([^']+)')re"};
    for (const auto& f : files().files()) {
        const std::string text{f.body};
        const auto refs = all_matches(text, f.name == "index.html" ? page_ref : module_ref);
        for (const auto& r : refs) {
            EXPECT_NE(files().find(r), nullptr) << f.name << " refers to " << r;
        }
        referenced.insert(refs.begin(), refs.end());
    }
    for (const auto& f : files().files()) {
        if (f.name != "index.html") {
            EXPECT_TRUE(referenced.contains(f.name)) << f.name << " is embedded but never used";
        }
    }
}

TEST(ConsoleFilesTest, HoldsNoInlineScriptOrStyleAndBuildsNoMarkupFromStrings) {
    // The Content-Security-Policy would block them; data must never become markup.
    const std::string page{files().find("index.html")->body};
    EXPECT_FALSE(std::regex_search(page, std::regex{R"(<script(?![^>]*\ssrc=)[^>]*>)"}));
    EXPECT_FALSE(std::regex_search(page, std::regex{R"(\son[a-z]+\s*=)", std::regex::icase}));
    EXPECT_FALSE(std::regex_search(page, std::regex{R"(\sstyle\s*=)", std::regex::icase}));
    EXPECT_EQ(page.find("<style"), std::string::npos);
    EXPECT_EQ(page.find("javascript:"), std::string::npos);
    for (const auto& f : files().files()) {
        if (!f.name.ends_with(".js")) {
            continue;
        }
        const std::string text{f.body};
        for (const char* banned :
             {"innerHTML",
              "outerHTML",
              "insertAdjacentHTML",
              "document.write",
              "eval(",
              "new Function",
              "localStorage"}) {
            EXPECT_EQ(text.find(banned), std::string::npos) << f.name << " uses " << banned;
        }
    }
}

TEST(ConsoleFilesTest, AnswersWithTheSecurityAndCachingHeaders) {
    const auto& app = *files().find("app.js");
    const auto r = console_response(app, "");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, app.body);
    EXPECT_EQ(r.content_type, "text/javascript; charset=utf-8");
    EXPECT_EQ(r.header("ETag"), app.etag);
    EXPECT_EQ(app.etag.size(), 66U);  // "<64 hex digits>"
    EXPECT_EQ(r.header("Cache-Control"), "no-cache");
    const auto csp = r.header("Content-Security-Policy").value_or("");
    EXPECT_THAT(csp, HasSubstr("script-src 'self'"));
    EXPECT_THAT(csp, HasSubstr("default-src 'none'"));
    EXPECT_THAT(csp, HasSubstr("frame-ancestors 'none'"));
    EXPECT_EQ(csp.find("unsafe"), std::string::npos);
    EXPECT_EQ(r.header("X-Frame-Options"), "DENY");
}

TEST(ConsoleFilesTest, AnswersNotModifiedWhenTheClientHoldsTheCurrentTag) {
    const auto& app = *files().find("app.js");
    for (const std::string& held :
         {app.etag, "W/" + app.etag, "\"other\", " + app.etag, std::string{"*"}}) {
        const auto r = console_response(app, held);
        EXPECT_EQ(r.status, 304) << held;
        EXPECT_TRUE(r.body.empty());
        EXPECT_EQ(r.header("ETag"), app.etag);
    }
    EXPECT_EQ(console_response(app, "\"stale\"").status, 200);
    EXPECT_EQ(console_response(app, "\"\"").status, 200);
}

}  // namespace
}  // namespace chelete::gateway
