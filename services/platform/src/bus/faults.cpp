#include <atomic>
#include <csignal>
#include <map>
#include <mutex>
#include <stdexcept>

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chelete/platform/faults.hpp>

namespace chelete::platform::faults {
namespace {

struct Point {
    std::string action;
    int at = 0;  // 0 = default behaviour (see header)
    int count = 0;
};

std::atomic<bool>& armed() {
    static std::atomic<bool> flag{false};
    return flag;
}

std::mutex& points_mutex() {
    static std::mutex m;
    return m;
}

std::map<std::string, Point, std::less<>>& points() {
    static std::map<std::string, Point, std::less<>> p;
    return p;
}

}  // namespace

void configure(std::string_view spec) {
    std::lock_guard lock{points_mutex()};
    points().clear();
    std::size_t start = 0;
    while (start < spec.size()) {
        auto end = spec.find(',', start);
        if (end == std::string_view::npos) {
            end = spec.size();
        }
        const auto item = spec.substr(start, end - start);
        start = end + 1;
        if (item.empty()) {
            continue;
        }
        const auto eq = item.find('=');
        if (eq == std::string_view::npos) {
            throw std::invalid_argument(
                "CHELETE_FAULTS item '" + std::string{item} + "' is not name=action[@n]"
            );
        }
        Point p;
        auto action = item.substr(eq + 1);
        if (const auto at = action.find('@'); at != std::string_view::npos) {
            p.at = std::stoi(std::string{action.substr(at + 1)});
            action = action.substr(0, at);
        }
        if (action != "kill" && action != "throw") {
            throw std::invalid_argument(
                "CHELETE_FAULTS action '" + std::string{action} + "' is not kill or throw"
            );
        }
        p.action = std::string{action};
        points()[std::string{item.substr(0, eq)}] = p;
    }
    armed().store(!points().empty());
}

void hit(std::string_view name) {
    if (!armed().load(std::memory_order_relaxed)) {
        return;
    }
    std::string action;
    {
        std::lock_guard lock{points_mutex()};
        auto it = points().find(name);
        if (it == points().end()) {
            return;
        }
        auto& p = it->second;
        ++p.count;
        const bool fire = p.at == 0 ? (p.action == "throw" || p.count == 1) : p.count == p.at;
        if (!fire) {
            return;
        }
        action = p.action;
    }
    if (action == "kill") {
        spdlog::default_logger()->flush();
        // SIGKILL: no destructors, no flushes, no atexit: the process stops as in a crash.
        ::kill(::getpid(), SIGKILL);
    }
    throw std::runtime_error("fault injected at " + std::string{name});
}

int hits(std::string_view name) {
    std::lock_guard lock{points_mutex()};
    auto it = points().find(name);
    return it == points().end() ? 0 : it->second.count;
}

void clear() {
    configure("");
}

}  // namespace chelete::platform::faults
