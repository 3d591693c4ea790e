#pragma once

// The HTTP/1.1 server side of the stand-in service: reading requests from a connected socket
// (Content-Length or chunked bodies, Expect: 100-continue, pipelining) and writing replies.

#include "providers/http/Http.h"

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace sds::standin {

struct ReceivedRequest {
    std::string method;
    std::string target;    // as sent: percent-encoded path plus "?query"
    std::string path;      // target up to '?'
    std::string query;     // after '?', without it
    std::string version;   // "HTTP/1.1"
    http::Headers headers; // names as sent, values trimmed
    std::string body;      // de-chunked
    bool keepAlive = true;

    [[nodiscard]] std::optional<std::string> header(std::string_view name) const; // case-insensitive
    [[nodiscard]] http::Headers lowerCaseHeaders() const;
};

struct Reply {
    int status = 200;
    http::Headers headers; // besides Content-Type, Content-Length and Connection
    std::string body;
    std::string contentType = "application/json";
    bool dropConnection = false; // close the socket without answering
};

[[nodiscard]] std::string_view reasonPhrase(int status);
[[nodiscard]] std::string serializeReply(const Reply& reply, bool keepAlive);

// Writes all of `data`; false when the peer is gone. Never raises SIGPIPE.
bool sendAll(int socketFd, std::string_view data);

enum class ReadOutcome {
    Request,   // `request` holds the next request
    Closed,    // the peer closed the connection (or the server is stopping) between requests
    Malformed, // answer 400 and close
    TooLarge,  // answer 413 and close
};

// Reads the requests of one connection, in order. Waits in poll() with a short timeout so that
// `stopRequested` is noticed even when the peer is idle.
class RequestReader {
public:
    static constexpr std::size_t maxHeaderBytes = 64 * 1024;
    static constexpr std::size_t maxBodyBytes = 64 * 1024 * 1024;

    RequestReader(int socketFd, std::function<bool()> stopRequested);

    ReadOutcome next(ReceivedRequest& request);

private:
    bool receiveMore();
    bool ensureBuffered(std::size_t bytes);  // at least `bytes` unconsumed bytes in m_buffer
    std::optional<std::size_t> ensureLine(); // position of the next "\r\n" after m_position
    ReadOutcome readChunkedBody(std::string& body);
    void sendContinueIfExpected(const ReceivedRequest& request, std::size_t bodyBytesExpected);

    int m_socketFd;
    std::function<bool()> m_stopRequested;
    std::string m_buffer;
    std::size_t m_position = 0; // start of the unconsumed bytes in m_buffer
};

} // namespace sds::standin
