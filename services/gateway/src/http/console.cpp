#include <algorithm>
#include <stdexcept>

#include <chelete/gateway/console.hpp>
#include <chelete/platform/crypto.hpp>

#include "gateway_console.hpp"

namespace chelete::gateway {
namespace {

std::string content_type_of(std::string_view name) {
    const auto dot = name.rfind('.');
    const std::string_view ext = dot == std::string_view::npos ? "" : name.substr(dot + 1);
    if (ext == "html") {
        return "text/html; charset=utf-8";
    }
    if (ext == "css") {
        return "text/css; charset=utf-8";
    }
    if (ext == "js") {
        return "text/javascript; charset=utf-8";
    }
    throw std::invalid_argument("no content type for console file " + std::string{name});
}

/// If-None-Match may list several tags ("a", "b") or be "*"; weak tags (W/"a") match too, as
/// RFC 9110 §13.1.2 asks for GET.
bool matches(std::string_view if_none_match, std::string_view etag) {
    if (if_none_match.empty()) {
        return false;
    }
    std::size_t pos = 0;
    while (pos < if_none_match.size()) {
        auto end = if_none_match.find(',', pos);
        if (end == std::string_view::npos) {
            end = if_none_match.size();
        }
        std::string_view tag = if_none_match.substr(pos, end - pos);
        while (!tag.empty() && tag.front() == ' ') {
            tag.remove_prefix(1);
        }
        while (!tag.empty() && tag.back() == ' ') {
            tag.remove_suffix(1);
        }
        if (tag.starts_with("W/")) {
            tag.remove_prefix(2);
        }
        if (tag == "*" || tag == etag) {
            return true;
        }
        pos = end + 1;
    }
    return false;
}

}  // namespace

std::span<const std::pair<std::string_view, std::string_view>> embedded_console_files() {
    return console_files::kAllFiles;
}

ConsoleFiles::ConsoleFiles() : ConsoleFiles(embedded_console_files()) {}

ConsoleFiles::ConsoleFiles(std::span<const std::pair<std::string_view, std::string_view>> files) {
    for (const auto& [name, text] : files) {
        files_.push_back(ConsoleFile{
            std::string{name},
            content_type_of(name),
            text,
            "\"" + platform::crypto::sha256_hex(text) + "\""});
    }
}

const ConsoleFile* ConsoleFiles::find(std::string_view name) const {
    const auto it = std::find_if(files_.begin(), files_.end(), [&](const ConsoleFile& f) {
        return f.name == name;
    });
    return it == files_.end() ? nullptr : &*it;
}

HttpResponse console_response(const ConsoleFile& file, std::string_view if_none_match) {
    HttpResponse r;
    r.content_type = file.content_type;
    if (matches(if_none_match, file.etag)) {
        r.status = 304;
    } else {
        r.body = std::string{file.body};
    }
    r.headers.emplace_back("ETag", file.etag);
    r.headers.emplace_back("Cache-Control", "no-cache");
    r.headers.emplace_back("Content-Security-Policy", std::string{kConsoleContentSecurityPolicy});
    r.headers.emplace_back("X-Frame-Options", "DENY");
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
    r.headers.emplace_back("Cross-Origin-Opener-Policy", "same-origin");
    return r;
}

}  // namespace chelete::gateway
