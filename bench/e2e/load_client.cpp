#include "load_client.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace chelete::bench {
namespace {

bool iequals_prefix(std::string_view line, std::string_view name) {
    if (line.size() < name.size()) {
        return false;
    }
    for (std::size_t i = 0; i < name.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) {
            return false;
        }
    }
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

}  // namespace

LoadClient::LoadClient(std::string host, std::uint16_t port, int connections)
    : host_(std::move(host)), port_(port), host_header_(host_ + ":" + std::to_string(port)) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) {
        throw std::runtime_error(std::string{"epoll_create1: "} + std::strerror(errno));
    }
    for (int i = 0; i < connections; ++i) {
        connections_.push_back(std::make_unique<Connection>());
        open(*connections_.back());
        idle_.push_back(connections_.back().get());
    }
}

LoadClient::~LoadClient() {
    for (auto& c : connections_) {
        if (c->fd >= 0) {
            ::close(c->fd);
        }
    }
    if (epoll_ >= 0) {
        ::close(epoll_);
    }
}

void LoadClient::open(Connection& c) {
    c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) {
        throw std::runtime_error(std::string{"socket: "} + std::strerror(errno));
    }
    const int one = 1;
    (void)::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port_);
    if (::inet_pton(AF_INET, host_.c_str(), &addr.sin_addr) != 1) {
        throw std::runtime_error("not an IPv4 address: " + host_);
    }
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
    const int rc = ::connect(c.fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    c.connecting = rc != 0;
    if (rc != 0 && errno != EINPROGRESS) {
        c.connecting = false;  // fails on first use: reported as a transport error
    }
    c.in.clear();
    c.out.clear();
    c.out_off = 0;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.ptr = &c;
    if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev) != 0) {
        throw std::runtime_error(std::string{"epoll_ctl: "} + std::strerror(errno));
    }
}

void LoadClient::watch(Connection& c, bool want_write) {
    epoll_event ev{};
    ev.events = EPOLLIN | (want_write ? EPOLLOUT : 0U);
    ev.data.ptr = &c;
    (void)::epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
}

void LoadClient::request(
    const std::string& method,
    const std::string& path,
    const std::vector<std::string>& headers,
    const std::string& body,
    ReplyHandler handler
) {
    std::string wire;
    wire.reserve(256 + body.size());
    wire += method;
    wire += ' ';
    wire += path;
    wire += " HTTP/1.1\r\nHost: ";
    wire += host_header_;
    wire += "\r\nConnection: keep-alive\r\n";
    for (const auto& h : headers) {
        wire += h;
        wire += "\r\n";
    }
    if (!body.empty() || method == "POST") {
        wire += "Content-Type: application/json\r\nContent-Length: ";
        wire += std::to_string(body.size());
        wire += "\r\n";
    }
    wire += "\r\n";
    wire += body;
    queued_.push_back(Pending{std::move(wire), std::move(handler)});
    while (!queued_.empty() && !idle_.empty()) {
        Connection* c = idle_.back();
        idle_.pop_back();
        start_next(*c);
    }
}

void LoadClient::start_next(Connection& c) {
    if (queued_.empty()) {
        idle_.push_back(&c);
        return;
    }
    Pending p = std::move(queued_.front());
    queued_.pop_front();
    c.out = std::move(p.wire);
    c.out_off = 0;
    c.handler = std::move(p.handler);
    c.busy = true;
    ++busy_;
    c.sent = Clock::now();
    if (!c.connecting) {
        on_writable(c);
    } else {
        watch(c, true);
    }
}

void LoadClient::close_and_fail(Connection& c) {
    (void)::epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
    ::close(c.fd);
    c.fd = -1;
    ++reconnects_;
    ReplyHandler handler;
    double ms = 0;
    if (c.busy) {
        handler = std::move(c.handler);
        ms = std::chrono::duration<double, std::milli>(Clock::now() - c.sent).count();
        c.busy = false;
        --busy_;
    }
    open(c);
    if (handler) {
        handler(HttpReply{0, "", ms});
    }
    if (!c.busy && std::find(idle_.begin(), idle_.end(), &c) == idle_.end()) {
        start_next(c);
    }
}

void LoadClient::on_writable(Connection& c) {
    if (c.connecting) {
        int err = 0;
        socklen_t len = sizeof err;
        (void)::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
            close_and_fail(c);
            return;
        }
        c.connecting = false;
    }
    while (c.out_off < c.out.size()) {
        const auto n =
            ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                watch(c, true);
                return;
            }
            close_and_fail(c);
            return;
        }
        c.out_off += static_cast<std::size_t>(n);
    }
    watch(c, false);
}

void LoadClient::on_readable(Connection& c) {
    std::array<char, 65536> buf{};
    bool eof = false;
    for (;;) {
        const auto n = ::recv(c.fd, buf.data(), buf.size(), 0);
        if (n > 0) {
            c.in.append(buf.data(), static_cast<std::size_t>(n));
            continue;
        }
        if (n == 0) {
            eof = true;
        } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
            eof = true;
        }
        break;
    }
    if (c.busy && complete_response(c, eof)) {
        return;
    }
    if (eof) {
        close_and_fail(c);
    }
}

bool LoadClient::complete_response(Connection& c, bool eof) {
    const auto header_end = c.in.find("\r\n\r\n");
    if (header_end == std::string::npos) {
        return false;
    }
    const std::string_view head{c.in.data(), header_end};
    int status = 0;
    if (head.size() < 12 || head.substr(0, 5) != "HTTP/") {
        close_and_fail(c);
        return true;
    }
    (void)std::from_chars(head.data() + 9, head.data() + 12, status);
    std::size_t content_length = 0;
    bool has_length = false;
    bool chunked = false;
    bool close = false;
    std::size_t pos = head.find("\r\n");
    while (pos != std::string_view::npos && pos < head.size()) {
        const std::size_t next = head.find("\r\n", pos + 2);
        const std::string_view line =
            head.substr(pos + 2, (next == std::string_view::npos ? head.size() : next) - pos - 2);
        if (iequals_prefix(line, "content-length:")) {
            const auto v = trim(line.substr(15));
            (void)std::from_chars(v.data(), v.data() + v.size(), content_length);
            has_length = true;
        } else if (iequals_prefix(line, "transfer-encoding:")) {
            chunked = trim(line.substr(18)).find("chunked") != std::string_view::npos;
        } else if (iequals_prefix(line, "connection:")) {
            const auto v = trim(line.substr(11));
            close = v.size() == 5 && iequals_prefix(v, "close");
        }
        pos = next;
    }
    const std::size_t body_start = header_end + 4;
    std::string body;
    std::size_t consumed = 0;
    if (chunked) {
        std::size_t at = body_start;
        for (;;) {
            const auto line_end = c.in.find("\r\n", at);
            if (line_end == std::string::npos) {
                return false;
            }
            std::size_t size = 0;
            (void)std::from_chars(c.in.data() + at, c.in.data() + line_end, size, 16);
            const std::size_t data = line_end + 2;
            if (c.in.size() < data + size + 2) {
                return false;
            }
            if (size == 0) {
                const auto trailer_end = c.in.find("\r\n", line_end + 2);
                if (trailer_end == std::string::npos) {
                    return false;
                }
                consumed = trailer_end + 2;
                break;
            }
            body.append(c.in, data, size);
            at = data + size + 2;
        }
    } else if (has_length) {
        if (c.in.size() < body_start + content_length) {
            return false;
        }
        body = c.in.substr(body_start, content_length);
        consumed = body_start + content_length;
    } else {
        if (!eof) {
            return false;
        }
        body = c.in.substr(body_start);
        consumed = c.in.size();
        close = true;
    }
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - c.sent).count();
    c.in.erase(0, consumed);
    ReplyHandler handler = std::move(c.handler);
    c.busy = false;
    --busy_;
    if (close || eof) {
        (void)::epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
        ::close(c.fd);
        ++reconnects_;
        open(c);
    }
    handler(HttpReply{status, std::move(body), ms});
    if (!c.busy) {
        start_next(c);
    }
    return true;
}

void LoadClient::poll(std::chrono::milliseconds timeout) {
    std::array<epoll_event, 256> events{};
    const int n = ::epoll_wait(
        epoll_, events.data(), static_cast<int>(events.size()), static_cast<int>(timeout.count())
    );
    for (int i = 0; i < n; ++i) {
        auto* c = static_cast<Connection*>(events.at(static_cast<std::size_t>(i)).data.ptr);
        const auto ev = events.at(static_cast<std::size_t>(i)).events;
        if ((ev & EPOLLOUT) != 0U) {
            if (c->busy || c->connecting) {
                on_writable(*c);
            } else {
                watch(*c, false);
            }
        }
        if ((ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0U) {
            if (c->fd >= 0) {
                on_readable(*c);
            }
        }
    }
}

}  // namespace chelete::bench
