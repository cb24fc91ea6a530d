#pragma once
// The beneficiary's USSD menu (docs/ussd.md), as a pure function of the session's inputs.
//
// The gateway sends every input of the session again on every turn ("1*2*58213"), so the menu
// walks the whole path each time from the first screen: no menu state is kept between turns. The
// one thing that cannot be recomputed is a PIN check (each check counts towards the lockout), so
// the caller remembers the answer of each PIN input for the session and passes it back; when the
// walk reaches a PIN it has no answer for, it asks for the check instead of answering.
//
// Nor can what a screen showed be recomputed: the remittances are read afresh on every turn, and
// a new one (newest first) or one whose state changed would renumber a list between the screen
// and the answer to it, so that "2" acted on another remittance than the one the caller saw. A
// list screen therefore comes with its offer (the references or methods it numbered), the caller
// remembers it by the position of the input that answers the screen and passes it back, and the
// walk reads a choice against the offer that was shown. A choice no longer possible (the voucher
// was used, the payout went ahead) is said so, never carried out on something else.
//
// No I/O: the service adapter loads the caller's remittances, checks PINs against the registry
// (with its lockout), and carries out the action of a finished session asynchronously (no turn
// waits on a partner, DOMAIN.md §4).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace chelete::ussd {

enum class Language { kSesotho, kEnglish };
enum class PayoutMethod { kMpesa, kEcocash, kCashPickup };

/// Where a remittance to this family stands, in the words a family needs.
enum class Stage { kOnItsWay, kReadyToCollect, kPaid, kReturned };

struct IncomingRemittance {
    std::string reference;          // what the family quotes at an agent or on the phone
    std::int64_t amount_minor = 0;  // LSL lisente, what the family receives
    std::string sender_name;        // the worker's given name
    Stage stage = Stage::kOnItsWay;
    PayoutMethod method = PayoutMethod::kMpesa;
    bool voucher_resendable = false;            // cash pickup with a voucher still live
    std::vector<PayoutMethod> methods_allowed;  // empty: the method can no longer change
};

/// The menu shows at most this many remittances, newest first, so every screen fits.
inline constexpr std::size_t kMaxListed = 4;
/// Plain characters per screen, after "CON " or "END " (DOMAIN.md §4).
inline constexpr std::size_t kMaxScreenChars = 182;

struct Caller {
    Language language = Language::kSesotho;       // the registered preference; "9" switches
    std::vector<IncomingRemittance> remittances;  // newest first
};

/// What a PIN check said. The registry counts wrong PINs and locks the login after five.
enum class PinCheck { kCorrect, kWrong, kLocked };

/// The answers of the PIN checks made so far in this session, by input position.
using PinAnswers = std::map<std::size_t, PinCheck>;

/// What a list screen numbered, in the order shown: references of remittances, or payout methods
/// (to_string). Remembered by the position of the input that answers the screen.
struct Offer {
    enum class Kind { kRemittances, kMethods };
    Kind kind = Kind::kRemittances;
    std::vector<std::string> items;

    friend bool operator==(const Offer&, const Offer&) = default;
};
using Offers = std::map<std::size_t, Offer>;

/// Whether a reference can be remembered in an offer (and so be listed at all): 1-32 ASCII
/// letters, digits, '-' or '_'. The remittance service's references are 10 hex digits.
[[nodiscard]] bool is_reference_shaped(std::string_view reference);

// What a finished session asks the service to do. Carried out after the reply, by message.
struct ResendVoucher {
    std::string reference;
};
struct ChooseMethod {
    std::string reference;
    PayoutMethod method;
};
struct ChangePin {
    std::string new_pin;
};
using Action = std::variant<ResendVoucher, ChooseMethod, ChangePin>;

struct Reply {
    enum class Kind { kContinue, kEnd, kCheckPin };
    Kind kind = Kind::kEnd;
    std::string text;              // the screen, without "CON "/"END "
    std::optional<Action> action;  // with kEnd when the session asked for something
    std::size_t pin_input = 0;     // with kCheckPin: the position of the PIN to check
    std::string pin;               // with kCheckPin: the PIN to check
    /// With kContinue on a list screen: what it numbered, to remember for the input at position
    /// `inputs.size()`, the one that will answer it.
    std::optional<Offer> offer;
    /// With every kind: the list screens an input of this turn was read against as drawn now
    /// (no offer remembered for them: several inputs sent in one turn), to remember as well, so
    /// that later turns read those inputs against the same screens.
    Offers pinned;

    /// The body for the gateway: "CON <text>" or "END <text>". Not for kCheckPin.
    [[nodiscard]] std::string body() const;
};

/// Whether a new PIN is acceptable; nullopt when it is, the reason otherwise (the registry's
/// rule: registry::check_pin).
using PinRule = std::function<std::optional<std::string>(std::string_view)>;

/// Answers one turn. `inputs` is split_inputs(text); `offers` what earlier turns' replies
/// offered, by the position each was remembered for.
[[nodiscard]] Reply answer(
    const std::vector<std::string>& inputs,
    const Caller& caller,
    const PinAnswers& pins,
    const Offers& offers,
    const PinRule& pin_rule
);

/// Screens that do not come from the menu's walk.
[[nodiscard]] Reply not_registered(Language language);
[[nodiscard]] Reply session_expired(Language language);
[[nodiscard]] Reply service_unavailable(Language language);

/// Keeps printable ASCII, turns every other UTF-8 character into one '?', and cuts to `max`
/// characters (the last one '.' when cut). Names come from registration; screens must be plain.
[[nodiscard]] std::string plain(std::string_view text, std::size_t max);

[[nodiscard]] std::string_view to_string(PayoutMethod method);

}  // namespace chelete::ussd
