#include <array>
#include <limits>

#include <chelete/ledger/codec.hpp>
#include <chelete/platform/clock.hpp>

namespace chelete::ledger::codec {
namespace {

using nlohmann::json;
using platform::err;

constexpr std::array<std::pair<std::string_view, std::uint16_t>, 4> kAccountFlags{{
    {"linked", kAccountLinked},
    {"debits_must_not_exceed_credits", kDebitsMustNotExceedCredits},
    {"credits_must_not_exceed_debits", kCreditsMustNotExceedDebits},
    {"history", kHistory},
}};

constexpr std::array<std::pair<std::string_view, std::uint16_t>, 4> kTransferFlags{{
    {"linked", kTransferLinked},
    {"pending", kPending},
    {"post_pending_transfer", kPostPendingTransfer},
    {"void_pending_transfer", kVoidPendingTransfer},
}};

/// Reads one object's fields, refusing unknown ones and wrong types, remembering the first error.
class Reader {
public:
    Reader(const json& object, std::string path) : object_(object), path_(std::move(path)) {}

    bool check_object(const std::vector<std::string_view>& known) {
        if (!object_.is_object()) {
            fail("", "must be an object");
            return false;
        }
        for (const auto& [key, value] : object_.items()) {
            (void)value;
            bool ok = false;
            for (const auto k : known) {
                ok = ok || key == k;
            }
            if (!ok) {
                fail(key, "is not a known field");
                return false;
            }
        }
        return true;
    }

    Id128 id(std::string_view name, bool required) {
        const auto it = object_.find(name);
        if (it == object_.end()) {
            if (required) {
                fail(name, "is required");
            }
            return {};
        }
        if (!it->is_string()) {
            fail(name, "must be a UUID string");
            return {};
        }
        const auto parsed = Id128::parse(it->get_ref<const std::string&>());
        if (!parsed) {
            fail(name, "must be a UUID");
            return {};
        }
        return *parsed;
    }

    std::int64_t integer(
        std::string_view name,
        std::int64_t min,
        std::int64_t max,
        bool required,
        std::int64_t fallback = 0
    ) {
        const auto it = object_.find(name);
        if (it == object_.end()) {
            if (required) {
                fail(name, "is required");
            }
            return fallback;
        }
        std::int64_t v = 0;
        if (it->is_number_integer()) {
            if (it->is_number_unsigned() &&
                it->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
                fail(name, "is out of range");
                return fallback;
            }
            v = it->get<std::int64_t>();
        } else {
            fail(name, "must be an integer");
            return fallback;
        }
        if (v < min || v > max) {
            fail(name, "must be between " + std::to_string(min) + " and " + std::to_string(max));
            return fallback;
        }
        return v;
    }

    std::uint64_t unsigned64(std::string_view name) {
        const auto it = object_.find(name);
        if (it == object_.end()) {
            return 0;
        }
        if (!it->is_number_integer() ||
            (it->is_number_integer() && !it->is_number_unsigned() && it->get<std::int64_t>() < 0)) {
            fail(name, "must be a non-negative integer");
            return 0;
        }
        return it->get<std::uint64_t>();
    }

    Currency currency(std::string_view name) {
        const auto it = object_.find(name);
        if (it == object_.end()) {
            fail(name, "is required");
            return Currency::kZar;
        }
        if (!it->is_string()) {
            fail(name, "must be ZAR or LSL");
            return Currency::kZar;
        }
        const auto c = platform::parse_currency(it->get_ref<const std::string&>());
        if (!c) {
            fail(name, "must be ZAR or LSL");
            return Currency::kZar;
        }
        return *c;
    }

    template <std::size_t N>
    std::uint16_t flags(
        std::string_view name,
        const std::array<std::pair<std::string_view, std::uint16_t>, N>& names
    ) {
        const auto it = object_.find(name);
        if (it == object_.end()) {
            return 0;
        }
        if (!it->is_array() || it->size() > N) {
            fail(name, "must be a list of flag names");
            return 0;
        }
        std::uint16_t out = 0;
        for (const auto& f : *it) {
            bool known = false;
            for (const auto& [n, bit] : names) {
                if (f.is_string() && f.get_ref<const std::string&>() == n) {
                    out |= bit;
                    known = true;
                }
            }
            if (!known) {
                fail(name, "holds an unknown flag");
                return 0;
            }
        }
        return out;
    }

    [[nodiscard]] bool ok() const { return !error_.has_value(); }
    [[nodiscard]] CodecError error() const { return error_.value_or(CodecError{}); }

private:
    void fail(std::string_view field, std::string message) {
        if (!error_) {
            error_ = CodecError{
                path_ + (field.empty() ? "" : "." + std::string{field}), std::move(message)};
        }
    }

    const json& object_;
    std::string path_;
    std::optional<CodecError> error_;
};

template <typename Fn>
auto parse_list(const json& command, const char* key, Fn&& each)
    -> decltype(each(command, std::string{})) {
    using Out = decltype(each(command, std::string{}));
    if (!command.is_object() || !command.contains(key) || !command[key].is_array()) {
        return Out{err(CodecError{key, "must be a list"})};
    }
    if (command.size() != 1) {
        return Out{err(CodecError{"", std::string{"the command holds only '"} + key + "'"})};
    }
    const auto& list = command[key];
    if (list.empty() || list.size() > kMaxEventsPerCommand) {
        return Out{err(CodecError{
            key, "must hold 1 to " + std::to_string(kMaxEventsPerCommand) + " items"})};
    }
    return each(list, std::string{key});
}

}  // namespace

platform::Result<std::vector<Account>, CodecError> parse_accounts(const json& command) {
    return parse_list(
        command,
        "accounts",
        [](const json& list,
           const std::string& key) -> platform::Result<std::vector<Account>, CodecError> {
            std::vector<Account> out;
            out.reserve(list.size());
            for (std::size_t i = 0; i < list.size(); ++i) {
                Reader r{list[i], key + "[" + std::to_string(i) + "]"};
                if (!r.check_object(
                        {"id",
                         "currency",
                         "code",
                         "flags",
                         "user_data_128",
                         "user_data_64",
                         "user_data_32"}
                    )) {
                    return err(r.error());
                }
                Account a;
                a.id = r.id("id", true);
                a.currency = r.currency("currency");
                a.code = static_cast<std::uint32_t>(r.integer("code", 1, UINT32_MAX, true));
                a.flags = r.flags("flags", kAccountFlags);
                a.user_data_128 = r.id("user_data_128", false);
                a.user_data_64 = r.unsigned64("user_data_64");
                a.user_data_32 =
                    static_cast<std::uint32_t>(r.integer("user_data_32", 0, UINT32_MAX, false));
                if (!r.ok()) {
                    return err(r.error());
                }
                out.push_back(a);
            }
            return out;
        }
    );
}

platform::Result<std::vector<Transfer>, CodecError> parse_transfers(const json& command) {
    return parse_list(
        command,
        "transfers",
        [](const json& list,
           const std::string& key) -> platform::Result<std::vector<Transfer>, CodecError> {
            std::vector<Transfer> out;
            out.reserve(list.size());
            for (std::size_t i = 0; i < list.size(); ++i) {
                Reader r{list[i], key + "[" + std::to_string(i) + "]"};
                if (!r.check_object(
                        {"id",
                         "debit_account_id",
                         "credit_account_id",
                         "amount",
                         "pending_id",
                         "currency",
                         "code",
                         "flags",
                         "timeout",
                         "user_data_128",
                         "user_data_64",
                         "user_data_32"}
                    )) {
                    return err(r.error());
                }
                Transfer t;
                t.id = r.id("id", true);
                t.debit_account_id = r.id("debit_account_id", false);
                t.credit_account_id = r.id("credit_account_id", false);
                t.amount = r.integer("amount", 0, INT64_MAX, false);
                t.pending_id = r.id("pending_id", false);
                t.currency = r.currency("currency");
                t.code = static_cast<std::uint32_t>(r.integer("code", 0, UINT32_MAX, false));
                t.flags = r.flags("flags", kTransferFlags);
                t.timeout = static_cast<std::uint32_t>(r.integer("timeout", 0, UINT32_MAX, false));
                t.user_data_128 = r.id("user_data_128", false);
                t.user_data_64 = r.unsigned64("user_data_64");
                t.user_data_32 =
                    static_cast<std::uint32_t>(r.integer("user_data_32", 0, UINT32_MAX, false));
                if (!r.ok()) {
                    return err(r.error());
                }
                out.push_back(t);
            }
            return out;
        }
    );
}

json account_flags(std::uint16_t flags) {
    json out = json::array();
    for (const auto& [name, bit] : kAccountFlags) {
        if ((flags & bit) != 0) {
            out.push_back(name);
        }
    }
    return out;
}

json transfer_flags(std::uint16_t flags) {
    json out = json::array();
    for (const auto& [name, bit] : kTransferFlags) {
        if ((flags & bit) != 0) {
            out.push_back(name);
        }
    }
    return out;
}

std::string rfc3339(Timestamp ns) {
    return platform::format_rfc3339(
        platform::from_unix_ms(static_cast<std::int64_t>(ns / 1'000'000ULL))
    );
}

json money(std::int64_t minor, Currency currency) {
    return json{
        {"amount", platform::format_minor_units(minor)},
        {"currency", std::string{platform::to_string(currency)}}};
}

json to_json(const Account& a) {
    return json{
        {"id", a.id.to_string()},
        {"currency", std::string{platform::to_string(a.currency)}},
        {"code", a.code},
        {"flags", account_flags(a.flags)},
        {"user_data_128", a.user_data_128.to_string()},
        {"user_data_64", a.user_data_64},
        {"user_data_32", a.user_data_32},
        {"created_at", rfc3339(a.timestamp)}};
}

json to_json(const Transfer& t) {
    json out{
        {"id", t.id.to_string()},
        {"debit_account_id", t.debit_account_id.to_string()},
        {"credit_account_id", t.credit_account_id.to_string()},
        {"amount", t.amount},
        {"currency", std::string{platform::to_string(t.currency)}},
        {"code", t.code},
        {"flags", transfer_flags(t.flags)},
        {"timestamp", t.timestamp}};
    if (!t.pending_id.is_zero()) {
        out["pending_id"] = t.pending_id.to_string();
    }
    if (t.timeout != 0) {
        out["timeout"] = t.timeout;
    }
    if (!t.user_data_128.is_zero()) {
        out["user_data_128"] = t.user_data_128.to_string();
    }
    if (t.user_data_64 != 0) {
        out["user_data_64"] = t.user_data_64;
    }
    if (t.user_data_32 != 0) {
        out["user_data_32"] = t.user_data_32;
    }
    return out;
}

}  // namespace chelete::ledger::codec
