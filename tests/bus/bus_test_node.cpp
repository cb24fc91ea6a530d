// A bus participant the crash tests start as a separate process and kill at fault points.
//
//   bus_test_node relay   --dsn D --schema S --redis-port P
//   bus_test_node consume --dsn D --schema S --redis-port P --stream X --group G [--claim-idle-ms
//   N]
//
// The consumer's handler records one row in `effects` per applied message; a message whose
// payload is "poison" throws. CHELETE_FAULTS (see faults.hpp) makes the process kill itself.
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <map>
#include <thread>

#include <chelete/platform/bus.hpp>
#include <chelete/platform/faults.hpp>
#include <chelete/platform/logging.hpp>

namespace {

std::atomic<bool> g_stop{false};  // NOLINT(cppcoreguidelines-avoid-non-const-global-variables)

void on_signal(int /*signal*/) {
    g_stop = true;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace chelete::platform;
    std::signal(SIGPIPE, SIG_IGN);  // NOLINT(cert-err33-c)
    if (argc < 2) {
        std::cerr << "usage: bus_test_node relay|consume --key value ...\n";
        return 2;
    }
    const std::string mode = argv[1];  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
    std::map<std::string, std::string> args;
    for (int i = 2; i + 1 < argc; i += 2) {
        args[argv[i]] = argv[i + 1];  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
    }
    init_logging(LogOptions{"bus-test-node", "info", "text"});
    if (const char* f = std::getenv("CHELETE_FAULTS")) {  // NOLINT(concurrency-mt-unsafe)
        faults::configure(f);
    }
    std::signal(SIGTERM, on_signal);  // NOLINT(cert-err33-c)
    std::signal(SIGINT, on_signal);   // NOLINT(cert-err33-c)

    PgPoolOptions pg;
    pg.dsn = args["--dsn"];
    pg.schema = args["--schema"];
    pg.size = 2;
    bus::BusOptions bus;
    bus.redis.port = static_cast<std::uint16_t>(std::stoi(args["--redis-port"]));
    bus.block = std::chrono::milliseconds{200};
    bus.claim_idle = std::chrono::milliseconds{
        args.contains("--claim-idle-ms") ? std::stoi(args["--claim-idle-ms"]) : 300};
    bus.claim_interval = std::chrono::milliseconds{100};
    bus.max_deliveries =
        args.contains("--max-deliveries") ? std::stoi(args["--max-deliveries"]) : 5;

    bus::Outbox outbox{pg.schema};
    if (mode == "relay") {
        bus::RelayOptions relay_options;
        relay_options.poll_interval = std::chrono::milliseconds{20};
        relay_options.sweep_interval = std::chrono::milliseconds{100};
        relay_options.loss_check_age = std::chrono::milliseconds{100};
        bus::OutboxRelay relay{pg, outbox, bus, relay_options};
        relay.start();
        while (!g_stop) {
            std::this_thread::sleep_for(std::chrono::milliseconds{20});
        }
        relay.stop();
        return 0;
    }
    if (mode == "consume") {
        PgPool pool{pg};
        bus::ConsumerOptions options;
        options.stream = args["--stream"];
        options.group = args["--group"];
        options.max_batch = 8;
        bus::Consumer consumer{
            pool, nullptr, bus, options, [](pqxx::transaction_base& tx, const bus::Message& m) {
                if (m.payload == "poison") {
                    throw std::runtime_error("cannot digest poison");
                }
                tx.exec_params0(
                    "INSERT INTO effects (message_id, payload) VALUES ($1, $2)", m.id, m.payload
                );
                return bus::HandlerResult{};
            }};
        consumer.start();
        while (!g_stop) {
            std::this_thread::sleep_for(std::chrono::milliseconds{20});
        }
        consumer.stop();
        return 0;
    }
    std::cerr << "unknown mode " << mode << "\n";
    return 2;
}
