#include "domain/menu.hpp"

#include <limits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "domain/form.hpp"

namespace chelete::ussd {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr std::string_view kPin = "24680";

// The registry's side of a PIN, as the service adapter sees it: five wrong tries lock.
struct Registry {
    std::string pin{kPin};
    int wrong = 0;
    int checks = 0;
    PinCheck check(const std::string& tried) {
        ++checks;
        if (wrong >= 5) {
            return PinCheck::kLocked;
        }
        if (tried == pin) {
            wrong = 0;
            return PinCheck::kCorrect;
        }
        return ++wrong >= 5 ? PinCheck::kLocked : PinCheck::kWrong;
    }
};

std::optional<std::string> registry_pin_rule(std::string_view pin) {
    if (pin == "11111" || pin == "12345") {
        return "too easy";
    }
    return std::nullopt;
}

// One session as the gateway drives it: the inputs typed one by one, each turn carrying all of
// them, PIN checks answered once and remembered, as the adapter does.
// What a list screen offered is remembered for the input that answers it, as the adapter does;
// `caller` may change between turns, as the remittances do.
struct Session {
    Session(Caller c, Registry& r) : caller(std::move(c)), registry(r) {}
    Caller caller;
    Registry& registry;
    PinAnswers pins;
    Offers offers;
    std::vector<std::string> typed;
    std::vector<Reply> screens;

    Reply turn() {
        while (true) {
            Reply r = answer(typed, caller, pins, offers, registry_pin_rule);
            for (const auto& [position, offer] : r.pinned) {
                offers.emplace(position, offer);
            }
            if (r.kind != Reply::Kind::kCheckPin) {
                if (r.offer) {
                    offers.emplace(typed.size(), *r.offer);
                }
                screens.push_back(r);
                return r;
            }
            EXPECT_EQ(r.pin, typed.at(r.pin_input));
            EXPECT_EQ(pins.count(r.pin_input), 0U) << "a PIN is checked once per session";
            pins[r.pin_input] = registry.check(r.pin);
        }
    }
    Reply type(const std::string& input) {
        EXPECT_EQ(
            screens.empty() ? Reply::Kind::kContinue : screens.back().kind, Reply::Kind::kContinue
        ) << "typing into an ended session";
        typed.push_back(input);
        return turn();
    }
};

IncomingRemittance remittance(
    std::string ref,
    std::int64_t minor,
    std::string sender,
    Stage stage,
    PayoutMethod method,
    bool voucher = false,
    std::vector<PayoutMethod> allowed = {}
) {
    return IncomingRemittance{
        std::move(ref), minor, std::move(sender), stage, method, voucher, std::move(allowed)};
}

Caller family(Language language = Language::kEnglish) {
    Caller c;
    c.language = language;
    c.remittances = {
        remittance(
            "R7K2M9Q4",
            49'300,
            "Thabo",
            Stage::kOnItsWay,
            PayoutMethod::kMpesa,
            false,
            {PayoutMethod::kMpesa, PayoutMethod::kEcocash, PayoutMethod::kCashPickup}
        ),
        remittance(
            "C3P8X1L5",
            120'000,
            "'Mathabo",
            Stage::kReadyToCollect,
            PayoutMethod::kCashPickup,
            true,
            {PayoutMethod::kCashPickup, PayoutMethod::kMpesa}
        ),
        remittance("P9D4H6T2", 80'000, "Thabo", Stage::kPaid, PayoutMethod::kEcocash),
    };
    return c;
}

TEST(UssdMenuTest, ABeneficiaryFollowsARemittanceWithoutAPin) {
    const Caller c = family();
    Registry registry;
    Session s{c, registry};
    Reply r = s.turn();
    EXPECT_EQ(r.kind, Reply::Kind::kContinue);
    EXPECT_THAT(r.body(), StartsWith("CON Chelete\n1. Money sent to you"));
    r = s.type("1");
    EXPECT_EQ(
        r.text,
        "Money sent to you:\n1. M493.00 Thabo - on its way\n2. M1200.00 'Mathabo - to collect\n"
        "3. M800.00 Thabo - paid\n0. Back"
    );
    r = s.type("2");
    EXPECT_EQ(r.kind, Reply::Kind::kEnd);
    EXPECT_EQ(
        r.body(),
        "END Ref C3P8X1L5: M1200.00 from 'Mathabo. Ready at an agent: bring the voucher and your "
        "ID."
    );
    EXPECT_FALSE(r.action.has_value());
    EXPECT_EQ(registry.checks, 0);
}

TEST(UssdMenuTest, AVoucherIsSentAgainOnlyAfterTheRightPin) {
    const Caller c = family();
    Registry registry;
    Session s{c, registry};
    s.turn();
    Reply r = s.type("2");
    EXPECT_EQ(r.text, "Voucher for which?\n1. M1200.00 'Mathabo - to collect\n0. Back");
    r = s.type("1");
    EXPECT_EQ(r.text, "Send the voucher for C3P8X1L5.\nEnter your PIN (5 digits):\n0. Back");
    r = s.type("13579");
    EXPECT_EQ(r.kind, Reply::Kind::kContinue);
    EXPECT_THAT(r.text, StartsWith("Wrong PIN.\nSend the voucher for C3P8X1L5."));
    r = s.type(std::string{kPin});
    EXPECT_EQ(r.kind, Reply::Kind::kEnd);
    EXPECT_EQ(r.text, "The voucher for C3P8X1L5 will come by SMS shortly.");
    ASSERT_TRUE(r.action.has_value());
    EXPECT_EQ(std::get<ResendVoucher>(*r.action).reference, "C3P8X1L5");
    EXPECT_EQ(registry.checks, 2);  // each PIN checked once, though every turn walks them all
}

TEST(UssdMenuTest, APayoutMethodIsChosenAmongTheAllowedOnes) {
    const Caller c = family(Language::kSesotho);
    Registry registry;
    Session s{c, registry};
    s.turn();
    Reply r = s.type("3");
    EXPECT_EQ(
        r.text,
        "Khetha chelete:\n1. M493.00 Thabo - e tseleng\n2. M1200.00 'Mathabo - e emetse uena\n0. "
        "Morao"
    );
    r = s.type("1");
    EXPECT_EQ(
        r.text,
        "R7K2M9Q4 M493.00\nE amohele ka:\n1. M-Pesa\n2. EcoCash\n3. chelete ho agent\n0. Morao"
    );
    r = s.type("4");  // not offered
    EXPECT_THAT(r.text, StartsWith("Khetho e fosahetse.\nR7K2M9Q4 M493.00"));
    r = s.type("2");
    EXPECT_EQ(r.text, "R7K2M9Q4 ka EcoCash.\nKenya PIN ea hau (linomoro tse 5):\n0. Morao");
    r = s.type(std::string{kPin});
    EXPECT_EQ(r.kind, Reply::Kind::kEnd);
    EXPECT_THAT(r.text, HasSubstr("R7K2M9Q4 e tla lefshoa ka EcoCash"));
    ASSERT_TRUE(r.action.has_value());
    const auto& chosen = std::get<ChooseMethod>(*r.action);
    EXPECT_EQ(chosen.reference, "R7K2M9Q4");
    EXPECT_EQ(chosen.method, PayoutMethod::kEcocash);
}

// A remittance sent while the family is in a session: the newest, so first in every list.
void a_new_remittance_arrives(Caller& c) {
    c.remittances.insert(
        c.remittances.begin(),
        remittance(
            "N3W0N3W0",
            10'000,
            "Lerato",
            Stage::kOnItsWay,
            PayoutMethod::kMpesa,
            false,
            {PayoutMethod::kEcocash}
        )
    );
}

// The remittances are read afresh every turn. A list screen's numbers must keep meaning what the
// caller saw, whatever arrives or changes before they answer.
TEST(UssdMenuTest, ANewRemittanceBetweenTurnsDoesNotRenumberTheCallersChoice) {
    Registry registry;
    Session s{family(), registry};
    s.turn();
    Reply r = s.type("3");
    EXPECT_THAT(r.text, HasSubstr("\n2. M1200.00 'Mathabo"));
    ASSERT_TRUE(r.offer.has_value());
    EXPECT_EQ(r.offer->items, (std::vector<std::string>{"R7K2M9Q4", "C3P8X1L5"}));
    // A new remittance, newest first, arrives while the caller reads the list.
    a_new_remittance_arrives(s.caller);
    r = s.type("2");  // 'Mathabo's, as shown; now third in the list
    EXPECT_THAT(r.text, StartsWith("C3P8X1L5 M1200.00\nReceive it by:"));
    r = s.type("2");  // M-Pesa, the second method of C3P8X1L5
    EXPECT_THAT(r.text, StartsWith("C3P8X1L5 by M-Pesa."));
    r = s.type(std::string{kPin});
    ASSERT_TRUE(r.action.has_value());
    EXPECT_EQ(std::get<ChooseMethod>(*r.action).reference, "C3P8X1L5");
    EXPECT_EQ(std::get<ChooseMethod>(*r.action).method, PayoutMethod::kMpesa);
}

TEST(UssdMenuTest, MethodsReorderedOrWithdrawnBetweenTurnsAreReadAsShown) {
    Registry registry;
    Session s{family(), registry};
    s.turn();
    s.type("3");
    EXPECT_THAT(s.type("1").text, HasSubstr("\n2. EcoCash\n3. cash at an agent"));
    // The same methods in another order: "2" is still EcoCash.
    s.caller.remittances[0].methods_allowed = {
        PayoutMethod::kCashPickup, PayoutMethod::kEcocash, PayoutMethod::kMpesa};
    EXPECT_THAT(s.type("2").text, StartsWith("R7K2M9Q4 by EcoCash."));
    // Back to the methods, shown in their new order; cash pickup, first now, is withdrawn
    // before the caller picks it.
    EXPECT_THAT(s.type("0").text, HasSubstr("\n1. cash at an agent\n2. EcoCash\n3. M-Pesa"));
    s.caller.remittances[0].methods_allowed = {PayoutMethod::kMpesa, PayoutMethod::kEcocash};
    const Reply r = s.type("1");
    EXPECT_EQ(
        r.text,
        "That money has changed. Choose again.\nR7K2M9Q4 M493.00\nReceive it by:\n1. M-Pesa\n"
        "2. EcoCash\n0. Back"
    );
    ASSERT_TRUE(r.offer.has_value());
    EXPECT_EQ(r.offer->items, (std::vector<std::string>{"mpesa", "ecocash"}));
    EXPECT_FALSE(r.action.has_value());
}

TEST(UssdMenuTest, AChoiceThatMovedOnBeforeThePinDoesNothing) {
    Registry registry;
    Session s{family(), registry};
    s.turn();
    s.type("2");
    EXPECT_THAT(s.type("1").text, StartsWith("Send the voucher for C3P8X1L5."));
    // The family collected the money at an agent meanwhile: no voucher left to send.
    s.caller.remittances[1].stage = Stage::kPaid;
    s.caller.remittances[1].voucher_resendable = false;
    const Reply r = s.type(std::string{kPin});
    EXPECT_EQ(r.body(), "END That money has changed: nothing was done. Please dial again.");
    EXPECT_FALSE(r.action.has_value());
}

TEST(UssdMenuTest, AChosenRemittanceNoLongerOpenShowsTheListAsItIsNow) {
    Registry registry;
    Session s{family(), registry};
    s.turn();
    s.type("3");
    // R7K2M9Q4 was handed to the partner before the caller answered.
    s.caller.remittances[0].methods_allowed.clear();
    Reply r = s.type("1");
    EXPECT_EQ(
        r.text,
        "That money has changed. Choose again.\nChoose the money:\n1. M1200.00 'Mathabo - to "
        "collect\n0. Back"
    );
    EXPECT_EQ(r.offer->items, (std::vector<std::string>{"C3P8X1L5"}));
    r = s.type("1");  // the new list's first: 'Mathabo's
    EXPECT_THAT(r.text, StartsWith("C3P8X1L5 M1200.00"));
    // And when nothing is left to choose, the session says so and ends.
    Session t{family(), registry};
    t.turn();
    t.type("2");
    t.caller.remittances[1].voucher_resendable = false;
    EXPECT_EQ(
        t.type("1").body(), "END That money has changed: nothing was done. Please dial again."
    );
}

TEST(UssdMenuTest, SeveralInputsInOneTurnArePinnedToTheScreensTheyWereReadAgainst) {
    Registry registry;
    Session s{family(), registry};
    s.turn();
    // "3*1" typed at the first prompt: one turn, the list never drawn for the caller.
    s.typed = {"3", "1"};
    Reply r = s.turn();
    EXPECT_THAT(r.text, StartsWith("R7K2M9Q4 M493.00\nReceive it by:"));
    ASSERT_EQ(r.pinned.count(1), 1U);
    EXPECT_EQ(r.pinned.at(1).items, (std::vector<std::string>{"R7K2M9Q4", "C3P8X1L5"}));
    r = s.type("2");  // EcoCash
    a_new_remittance_arrives(s.caller);
    r = s.type(std::string{kPin});
    ASSERT_TRUE(r.action.has_value());
    EXPECT_EQ(std::get<ChooseMethod>(*r.action).reference, "R7K2M9Q4") << "the one shown";
}

TEST(UssdMenuTest, ABranchTheCallerLeftDoesNotEndTheOneTheyAreIn) {
    Registry registry;
    Session s{family(), registry};
    s.turn();
    s.type("2");  // the voucher list: C3P8X1L5
    s.type("0");  // back, without choosing
    // The voucher is used meanwhile: the list the caller left is empty now.
    s.caller.remittances[1].voucher_resendable = false;
    s.caller.remittances[1].stage = Stage::kPaid;
    s.caller.remittances[1].methods_allowed.clear();
    EXPECT_THAT(s.type("3").text, StartsWith("Choose the money:\n1. M493.00 Thabo"));
    EXPECT_THAT(s.type("1").text, StartsWith("R7K2M9Q4 M493.00"));
    // And a voucher asked for in one turn when there is none says just that.
    Session t{family(), registry};
    t.caller.remittances[1].voucher_resendable = false;
    t.turn();
    t.typed = {"2", "1"};
    EXPECT_EQ(t.turn().body(), "END No voucher can be sent again.");
}

TEST(UssdMenuTest, AnAnswerToAnotherKindOfListThanTheWalkIsOnEndsTheSession) {
    const Caller c = family();
    // Input 2 answered a list of remittances, but the walk is on R7K2M9Q4's methods there.
    const Offers offers{
        {1, Offer{Offer::Kind::kRemittances, {"R7K2M9Q4", "C3P8X1L5"}}},
        {2, Offer{Offer::Kind::kRemittances, {"C3P8X1L5"}}}};
    const Reply r = answer({"3", "1", "1"}, c, {}, offers, registry_pin_rule);
    EXPECT_EQ(r.body(), "END That money has changed: nothing was done. Please dial again.");
    // Without offers (all inputs in one turn) the screens as they are now are read.
    EXPECT_THAT(
        answer({"3", "1", "1"}, c, {}, {}, registry_pin_rule).text,
        StartsWith("R7K2M9Q4 by M-Pesa.")
    );
}

TEST(UssdMenuTest, ThePinIsChangedAfterTheOldOneAndTwoMatchingNewOnes) {
    const Caller c = family();
    Registry registry;
    Session s{c, registry};
    s.turn();
    EXPECT_EQ(s.type("4").text, "Enter your PIN (5 digits):\n0. Back");
    EXPECT_EQ(s.type(std::string{kPin}).text, "Enter a new PIN (5 digits):\n0. Back");
    EXPECT_EQ(
        s.type("12345").text, "That PIN is too easy to guess.\nEnter a new PIN (5 digits):\n0. Back"
    );
    EXPECT_EQ(s.type("987").text, "The PIN is 5 digits.\nEnter a new PIN (5 digits):\n0. Back");
    EXPECT_EQ(s.type("97531").text, "Enter the new PIN again:\n0. Back");
    EXPECT_EQ(
        s.type("97533").text, "The PINs did not match.\nEnter a new PIN (5 digits):\n0. Back"
    );
    EXPECT_EQ(s.type("97531").text, "Enter the new PIN again:\n0. Back");
    const Reply r = s.type("97531");
    EXPECT_EQ(r.body(), "END Your PIN has been changed.");
    ASSERT_TRUE(r.action.has_value());
    EXPECT_EQ(std::get<ChangePin>(*r.action).new_pin, "97531");
    EXPECT_EQ(registry.checks, 1);
}

TEST(UssdMenuTest, FiveWrongPinsLockAndEndTheSession) {
    const Caller c = family();
    Registry registry;
    Session s{c, registry};
    s.turn();
    s.type("2");
    s.type("1");
    for (int i = 0; i < 4; ++i) {
        EXPECT_THAT(s.type("1357" + std::to_string(i)).text, StartsWith("Wrong PIN."));
    }
    const Reply r = s.type("13579");
    EXPECT_EQ(r.body(), "END Your PIN is locked after wrong tries. Please try again later.");
    EXPECT_FALSE(r.action.has_value());
    // A new session while locked: even the right PIN is refused, and nothing is done.
    Session next{c, registry};
    next.turn();
    next.type("4");
    EXPECT_EQ(next.type(std::string{kPin}).kind, Reply::Kind::kEnd);
    EXPECT_FALSE(next.screens.back().action.has_value());
}

TEST(UssdMenuTest, APinOfTheWrongShapeIsNotATry) {
    const Caller c = family();
    Registry registry;
    Session s{c, registry};
    s.turn();
    s.type("4");
    EXPECT_THAT(s.type("2468").text, StartsWith("The PIN is 5 digits."));
    EXPECT_THAT(s.type("2468a").text, StartsWith("The PIN is 5 digits."));
    EXPECT_EQ(registry.checks, 0);
}

TEST(UssdMenuTest, WrongInputAtEveryMenuKeepsTheMenuAndSaysSo) {
    const Caller c = family();
    Registry registry;
    // The path to each menu, and what is wrong there.
    const std::vector<std::pair<std::vector<std::string>, std::string>> menus{
        {{}, "Chelete\n1. Money sent to you"},
        {{"1"}, "Money sent to you:"},
        {{"2"}, "Voucher for which?"},
        {{"3"}, "Choose the money:"},
        {{"3", "1"}, "R7K2M9Q4 M493.00\nReceive it by:"},
    };
    for (const auto& [path, screen] : menus) {
        for (const std::string wrong : {"", "7", "x", "01", "1 ", "*", "99", "-1"}) {
            Session s{c, registry};
            s.turn();
            for (const auto& step : path) {
                s.type(step);
            }
            const Reply r = s.type(wrong);
            EXPECT_EQ(r.kind, Reply::Kind::kContinue) << "'" << wrong << "'";
            EXPECT_THAT(r.text, StartsWith("Invalid choice.\n" + screen)) << "'" << wrong << "'";
            // And the menu still works after the mistake.
            EXPECT_EQ(s.type("0").kind, Reply::Kind::kContinue);
        }
    }
    EXPECT_EQ(registry.checks, 0);
}

TEST(UssdMenuTest, BackLeadsUpOneMenuAtATime) {
    const Caller c = family();
    Registry registry;
    Session s{c, registry};
    s.turn();
    s.type("3");
    s.type("1");
    s.type("1");  // M-Pesa: asks for the PIN
    EXPECT_THAT(s.type("0").text, StartsWith("R7K2M9Q4 M493.00\nReceive it by:"));
    EXPECT_THAT(s.type("0").text, StartsWith("Choose the money:"));
    EXPECT_THAT(s.type("0").text, StartsWith("Chelete\n1."));
}

TEST(UssdMenuTest, NineSwitchesTheLanguageForTheRestOfTheSession) {
    const Caller c = family(Language::kSesotho);
    Registry registry;
    Session s{c, registry};
    EXPECT_THAT(s.turn().text, HasSubstr("Chelete e u romelletsoeng"));
    EXPECT_THAT(s.type("9").text, HasSubstr("1. Money sent to you"));
    EXPECT_THAT(s.type("1").text, StartsWith("Money sent to you:"));
    EXPECT_THAT(s.type("0").text, HasSubstr("9. Sesotho"));
    EXPECT_THAT(s.type("9").text, HasSubstr("9. English"));
}

TEST(UssdMenuTest, NothingToShowEndsWithAPlainAnswer) {
    Caller none;
    none.language = Language::kEnglish;
    Registry registry;
    for (const auto& [input, text] : std::vector<std::pair<std::string, std::string>>{
             {"1", "No money has been sent to you yet."},
             {"2", "No voucher can be sent again."},
             {"3", "There is no money whose payout you can change."}}) {
        Session s{none, registry};
        s.turn();
        EXPECT_EQ(s.type(input).body(), "END " + text);
    }
}

TEST(UssdMenuTest, TooManyInputsEndTheSession) {
    const Caller c = family();
    const std::vector<std::string> inputs(kMaxInputs + 1, "0");
    EXPECT_EQ(answer(inputs, c, {}, {}, registry_pin_rule).kind, Reply::Kind::kEnd);
}

// The extreme caller: more remittances than fit, the largest amounts, long names in other
// scripts, long references. Every screen of every path up to five inputs, in both languages,
// must fit 182 plain characters.
Caller extreme(Language language) {
    Caller c;
    c.language = language;
    const std::vector<PayoutMethod> all{
        PayoutMethod::kMpesa, PayoutMethod::kEcocash, PayoutMethod::kCashPickup};
    for (int i = 0; i < 7; ++i) {
        c.remittances.push_back(remittance(
            std::string(40, static_cast<char>('A' + i)),
            std::numeric_limits<std::int64_t>::max() - i,
            "Ntate Mokhethoa \xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80 Ramahlele-Makhetha",
            static_cast<Stage>(i % 4),
            all[static_cast<std::size_t>(i) % 3],
            true,
            all
        ));
    }
    return c;
}

bool plain_screen(const std::string& text) {
    return std::all_of(text.begin(), text.end(), [](char ch) {
        return ch == '\n' || (ch >= 0x20 && ch <= 0x7e);
    });
}

void explore(const Caller& c, std::vector<std::string>& path, int depth, int& screens) {
    // Every menu choice, a wrong one, and the right PIN (wrong PINs and weak new ones have
    // their own tests; their notices are shorter than the room kept for one).
    static const std::vector<std::string> kInputs{
        "0", "1", "2", "3", "4", "9", "x", std::string{kPin}};
    Registry registry;
    Session s{c, registry};
    s.typed = path;
    const Reply r = s.turn();
    ++screens;
    ASSERT_LE(r.text.size(), kMaxScreenChars) << ::testing::PrintToString(path) << "\n" << r.text;
    ASSERT_TRUE(plain_screen(r.text)) << ::testing::PrintToString(path) << "\n" << r.text;
    ASSERT_FALSE(r.text.empty());
    if (r.kind == Reply::Kind::kEnd || depth == 0) {
        return;
    }
    for (const auto& next : kInputs) {
        path.push_back(next);
        explore(c, path, depth - 1, screens);
        path.pop_back();
        if (::testing::Test::HasFatalFailure()) {
            return;
        }
    }
}

TEST(UssdMenuTest, EveryScreenFitsInBothLanguages) {
    int screens = 0;
    for (const Language l : {Language::kSesotho, Language::kEnglish}) {
        std::vector<std::string> path;
        explore(extreme(l), path, 5, screens);  // the longest screens
        ASSERT_FALSE(HasFatalFailure());
        explore(family(l), path, 3, screens);
        ASSERT_FALSE(HasFatalFailure());
        for (const Reply& r : {not_registered(l), session_expired(l), service_unavailable(l)}) {
            EXPECT_EQ(r.kind, Reply::Kind::kEnd);
            EXPECT_LE(r.text.size(), kMaxScreenChars);
        }
    }
    EXPECT_GT(screens, 10'000);
}

TEST(UssdMenuTest, ListsAreCutToFitAndNumberedAsShown) {
    const Caller c = extreme(Language::kEnglish);
    Registry registry;
    Session s{c, registry};
    s.turn();
    const Reply list = s.type("1");
    EXPECT_LE(list.text.size(), kMaxScreenChars);
    EXPECT_THAT(list.text, HasSubstr("\n1. M92233720368547758.07"));
    EXPECT_THAT(list.text, ::testing::Not(HasSubstr("\n5. ")));
    // The number on the screen is the remittance chosen.
    const Reply second = s.type("2");
    EXPECT_THAT(second.text, StartsWith("Ref BBBBBBBBBBBBBBB.: M92233720368547758.06"));
}

TEST(UssdMenuTest, PlainKeepsAsciiAndMarksEveryOtherCharacterOnce) {
    EXPECT_EQ(plain("'Mathabo", 20), "'Mathabo");
    EXPECT_EQ(plain("Ren\xC3\xA9 \xF0\x9F\x98\x80!", 20), "Ren? ?!");
    EXPECT_EQ(plain("a\nb\tc", 20), "a b c");
    EXPECT_EQ(plain("Ramahlele", 5), "Rama.");
    EXPECT_EQ(plain("\x80\x80x", 5), "x");
    EXPECT_EQ(plain("abc", 0), "");
}

}  // namespace
}  // namespace chelete::ussd
