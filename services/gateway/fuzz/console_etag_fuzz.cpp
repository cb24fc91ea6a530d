// libFuzzer target for the console's If-None-Match handling: any header value must give a 200
// with the file or a 304 without it, never a crash, and the current tag added to any list must
// always give a 304.
#include <cstdint>
#include <string>

#include <chelete/gateway/console.hpp>

namespace {

const chelete::gateway::ConsoleFile& file() {
    static const chelete::gateway::ConsoleFiles kFiles;
    return *kFiles.find("app.js");
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the entry point libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): libFuzzer hands over bytes
    const std::string header(reinterpret_cast<const char*>(data), size);
    const auto r = chelete::gateway::console_response(file(), header);
    if (r.status == 304 ? !r.body.empty() : (r.status != 200 || r.body != file().body)) {
        __builtin_trap();
    }
    if (chelete::gateway::console_response(file(), header + ", " + file().etag).status != 304) {
        __builtin_trap();
    }
    return 0;
}
