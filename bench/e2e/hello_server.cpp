// The HTTP ceiling of this machine for the end-to-end benchmark (bench/e2e/README.md): the
// smallest Pistache server that answers like the gateway does (same endpoint options, same
// explicit keep-alive), with no work behind it. `GET /hello` answers `200 {"hello":"world"}`.
//
//   hello_server --port 26480 [--threads 2]
//
// Stops on SIGTERM or SIGINT.
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <pistache/net.h>
#include <pthread.h>

namespace {

using namespace Pistache;

class Hello final : public Http::Handler {
public:
    HTTP_PROTOTYPE(Hello)

    void onRequest(const Http::Request& request, Http::ResponseWriter writer) override {
        writer.headers().remove<Http::Header::Connection>();
        writer.headers().add<Http::Header::Connection>(Http::ConnectionControl::KeepAlive);
        if (request.method() != Http::Method::Get || request.resource() != "/hello") {
            writer.send(
                Http::Code::Not_Found, "{\"error\":\"no_such_route\"}", MIME(Application, Json)
            );
            return;
        }
        writer.send(Http::Code::Ok, "{\"hello\":\"world\"}", MIME(Application, Json));
    }
};

}  // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);  // NOLINT(cert-err33-c)
    int port = 0;
    int threads = 2;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag =
            argv[i];  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
        const int value = std::atoi(argv[i + 1]
        );  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic,cert-err34-c)
        if (flag == "--port") {
            port = value;
        } else if (flag == "--threads") {
            threads = value;
        }
    }
    if (port <= 0 || threads <= 0) {
        std::cerr << "usage: hello_server --port N [--threads N]\n";
        return 2;
    }
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    Http::Endpoint endpoint{Address{"127.0.0.1", Port{static_cast<std::uint16_t>(port)}}};
    endpoint.init(Http::Endpoint::options()
                      .threads(threads)
                      .flags(Tcp::Options::ReuseAddr | Tcp::Options::NoDelay)
                      .maxRequestSize(std::size_t{64} * 1024)
                      .headerTimeout(std::chrono::seconds{5})
                      .bodyTimeout(std::chrono::seconds{15})
                      .keepaliveTimeout(std::chrono::seconds{60}));
    endpoint.setHandler(Http::make_handler<Hello>());
    endpoint.serveThreaded();
    int received = 0;
    sigwait(&signals, &received);
    endpoint.shutdown();
    return 0;
}
