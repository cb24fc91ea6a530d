#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <chelete/gateway/http.hpp>

namespace chelete::gateway {

/// One file of the staff web console (services/gateway/console), embedded in the binary at
/// build time, with what the gateway answers it with.
struct ConsoleFile {
    std::string name;          // "app.js": served at /console/app.js (index.html at /console)
    std::string content_type;  // from the extension
    std::string_view body;     // the embedded bytes
    std::string etag;          // quoted SHA-256 of the bytes
};

/// The console's files, looked up by name. Built from {name, text} pairs (the embedded files in
/// production); an extension without a known content type is a programming error and throws
/// std::invalid_argument, so a stray file fails the unit test rather than being served as
/// something the browser guesses at.
class ConsoleFiles {
public:
    /// The files embedded from services/gateway/console.
    ConsoleFiles();
    explicit ConsoleFiles(std::span<const std::pair<std::string_view, std::string_view>> files);

    /// nullptr when there is no such file.
    [[nodiscard]] const ConsoleFile* find(std::string_view name) const;
    [[nodiscard]] const std::vector<ConsoleFile>& files() const { return files_; }

private:
    std::vector<ConsoleFile> files_;
};

/// The embedded {name, text} pairs, in the order CMake lists them.
[[nodiscard]] std::span<const std::pair<std::string_view, std::string_view>> embedded_console_files(
);

/// The Content-Security-Policy of every console answer: scripts, styles and connections from
/// the gateway's own origin only, no inline script or style, no framing, no plugins.
inline constexpr std::string_view kConsoleContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The answer for one console file: 200 with the bytes, or 304 without them when the client's
/// If-None-Match names the current ETag. Revalidated on every use (`no-cache`), so a new build
/// is picked up at once, while an unchanged file costs a 304 and no bytes.
[[nodiscard]] HttpResponse console_response(
    const ConsoleFile& file, std::string_view if_none_match
);

}  // namespace chelete::gateway
