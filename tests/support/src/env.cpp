#include <atomic>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chelete/testing/env.hpp>

namespace chelete::testing {

std::optional<std::string> pg_dsn() {
    const char* v = std::getenv("CHELETE_TEST_PG_DSN");  // NOLINT(concurrency-mt-unsafe)
    if (v == nullptr || *v == '\0') {
        return std::nullopt;
    }
    return std::string{v};
}

bool servers_required() {
    const char* v = std::getenv("CHELETE_TEST_REQUIRE_SERVERS");  // NOLINT(concurrency-mt-unsafe)
    return v != nullptr && std::string{v} == "1";
}

std::optional<platform::RedisOptions> redis_options() {
    const char* port = std::getenv("CHELETE_TEST_REDIS_PORT");  // NOLINT(concurrency-mt-unsafe)
    if (port == nullptr || *port == '\0') {
        return std::nullopt;
    }
    platform::RedisOptions o;
    const char* host = std::getenv("CHELETE_TEST_REDIS_HOST");  // NOLINT(concurrency-mt-unsafe)
    o.host = host != nullptr && *host != '\0' ? host : "127.0.0.1";
    o.port = static_cast<std::uint16_t>(std::stoi(port));
    return o;
}

std::string unique_name(const std::string& prefix) {
    static std::atomic<int> counter{0};
    thread_local std::mt19937_64 rng{std::random_device{}()};
    return prefix + "_" + std::to_string(getpid()) + "_" + std::to_string(++counter) + "_" +
           std::to_string(rng() % 100000);
}

TempSchema::TempSchema() : name_(unique_name("t")) {
    pqxx::connection conn{*pg_dsn()};
    pqxx::work tx{conn};
    tx.exec0("CREATE SCHEMA " + name_);
    tx.commit();
}

TempSchema::~TempSchema() {
    try {
        pqxx::connection conn{*pg_dsn()};
        pqxx::work tx{conn};
        tx.exec0("DROP SCHEMA IF EXISTS " + name_ + " CASCADE");
        tx.commit();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "dropping test schema " << name_ << ": " << e.what();
    }
}

platform::PgPoolOptions TempSchema::pool_options(std::size_t size) const {
    platform::PgPoolOptions o;
    o.dsn = *pg_dsn();
    o.schema = name_;
    o.size = size;
    o.acquire_timeout = std::chrono::seconds{20};
    o.application_name = "chelete-test";
    return o;
}

std::unique_ptr<pqxx::connection> TempSchema::connect() const {
    platform::PgPool pool{pool_options(1)};
    return pool.connect_dedicated();
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
    return condition();
}

ChildProcess::ChildProcess(
    const std::string& program,
    const std::vector<std::string>& args,
    const std::vector<std::pair<std::string, std::string>>& extra_env,
    const std::string& log_file
) {
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr;
         ++e) {  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
        env_strings.emplace_back(*e);
    }
    for (const auto& entry : extra_env) {
        const std::string prefix = entry.first + "=";
        std::erase_if(env_strings, [&](const std::string& s) { return s.rfind(prefix, 0) == 0; });
        env_strings.push_back(prefix + entry.second);
    }
    std::vector<std::string> argv_strings{program};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    argv.reserve(argv_strings.size() + 1);
    for (auto& s : argv_strings) {
        argv.push_back(s.data());
    }
    argv.push_back(nullptr);
    std::vector<char*> envp;
    envp.reserve(env_strings.size() + 1);
    for (auto& s : env_strings) {
        envp.push_back(s.data());
    }
    envp.push_back(nullptr);
    pid_ = fork();
    if (pid_ < 0) {
        throw std::runtime_error("fork failed");
    }
    if (pid_ == 0) {
        if (!log_file.empty()) {
            const int fd = open(
                log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644
            );  // NOLINT(cppcoreguidelines-pro-type-vararg)
            if (fd >= 0) {
                dup2(fd, 1);
                dup2(fd, 2);
                close(fd);
            }
        }
        execve(program.c_str(), argv.data(), envp.data());
        _exit(127);
    }
}

ChildProcess::~ChildProcess() {
    if (running()) {
        kill(SIGKILL);
        (void)wait_for(std::chrono::seconds{10});
    }
}

std::optional<int> ChildProcess::wait_for(std::chrono::milliseconds timeout) {
    if (status_) {
        return status_;
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    do {
        int status = 0;
        const int r = waitpid(pid_, &status, WNOHANG);
        if (r == pid_) {
            status_ = status;
            return status_;
        }
        if (r < 0) {
            status_ = -1;
            return status_;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{5});
    } while (std::chrono::steady_clock::now() < deadline);
    return std::nullopt;
}

void ChildProcess::kill(int signal) {
    if (!status_) {
        ::kill(pid_, signal);
    }
}

bool ChildProcess::running() {
    return !wait_for(std::chrono::milliseconds{0}).has_value();
}

std::string built_program(const std::string& name) {
    const char* dir = std::getenv("CHELETE_TEST_BIN_DIR");  // NOLINT(concurrency-mt-unsafe)
    if (dir != nullptr && *dir != '\0') {
        return std::string{dir} + "/" + name;
    }
    const auto self = std::filesystem::read_symlink("/proc/self/exe");
    return (self.parent_path() / name).string();
}

std::uint16_t unused_port() {
    constexpr int kFirst = 20000;
    constexpr int kCount = 12000;
    static std::atomic<int> next{0};
    // Start somewhere different per process and per call, then probe by binding.
    const int start = static_cast<int>((static_cast<unsigned>(getpid()) * 7919U) % kCount);
    for (int tried = 0; tried < kCount; ++tried) {
        const int port = kFirst + (start + next.fetch_add(1) * 17 + tried) % kCount;
        const int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) {
            break;
        }
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<std::uint16_t>(port));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        const bool free = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;  // NOLINT
        close(fd);
        if (free) {
            return static_cast<std::uint16_t>(port);
        }
    }
    throw std::runtime_error("no unused TCP port in 20000-31999");
}

}  // namespace chelete::testing
