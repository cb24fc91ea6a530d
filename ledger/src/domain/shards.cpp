#include <charconv>

#include <chelete/ledger/shards.hpp>

namespace chelete::ledger {
namespace {

constexpr std::uint64_t kFnvOffset = 14695981039346656037ULL;
constexpr std::uint64_t kFnvPrime = 1099511628211ULL;
constexpr std::string_view kShardSuffix = "@shard";

}  // namespace

std::uint64_t shard_hash(std::string_view key) {
    std::uint64_t h = kFnvOffset;
    for (const char c : key) {
        const char lower = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
        h ^= static_cast<unsigned char>(lower);
        h *= kFnvPrime;
    }
    return h;
}

std::size_t shard_of(std::string_view key, std::size_t count) {
    if (count <= 1) {
        return 0;
    }
    return static_cast<std::size_t>(shard_hash(key) % count);
}

std::string shard_schema(std::string_view base, std::size_t shard) {
    return shard == 0 ? std::string{base} : std::string{base} + "_" + std::to_string(shard);
}

std::string shard_stream(std::string_view base, std::size_t shard) {
    return shard == 0 ? std::string{base} : std::string{base} + "." + std::to_string(shard);
}

std::string sub_account_name(std::string_view name, std::size_t shard) {
    if (shard == 0) {
        return std::string{name};
    }
    return std::string{name} + std::string{kShardSuffix} + std::to_string(shard);
}

std::optional<std::size_t> shard_of_sub_account_name(std::string_view name) {
    const auto at = name.rfind(kShardSuffix);
    if (at == std::string_view::npos) {
        return 0;
    }
    const std::string_view digits = name.substr(at + kShardSuffix.size());
    std::size_t shard = 0;
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), shard);
    if (digits.empty() || ec != std::errc{} || ptr != digits.data() + digits.size() || shard == 0 ||
        digits.front() == '0') {
        return std::nullopt;
    }
    return shard;
}

}  // namespace chelete::ledger
