#include "standin/HttpWire.h"

#include "core/Text.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <poll.h>
#include <sys/socket.h>
#include <utility>

namespace sds::standin {
namespace {

using text::toLower;

constexpr int pollIntervalMs = 200;
constexpr std::size_t receiveChunkBytes = 64 * 1024;

bool equalsIgnoringCase(std::string_view left, std::string_view right) {
    return left.size() == right.size() &&
           std::equal(left.begin(), left.end(), right.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) ==
                      std::tolower(static_cast<unsigned char>(b));
           });
}

bool containsIgnoringCase(std::string_view text, std::string_view part) {
    return toLower(text).find(toLower(part)) != std::string::npos;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
        text.remove_suffix(1);
    return text;
}

// Parses the request line and header fields (everything before the blank line).
bool parseHead(std::string_view head, ReceivedRequest& request) {
    const auto requestLineEnd = head.find("\r\n");
    const std::string_view requestLine = head.substr(0, requestLineEnd);
    const auto firstSpace = requestLine.find(' ');
    const auto secondSpace = requestLine.find(' ', firstSpace == std::string_view::npos ? 0 : firstSpace + 1);
    if (firstSpace == std::string_view::npos || secondSpace == std::string_view::npos || firstSpace == 0 ||
        secondSpace == firstSpace + 1)
        return false;
    request.method = std::string(requestLine.substr(0, firstSpace));
    request.target = std::string(requestLine.substr(firstSpace + 1, secondSpace - firstSpace - 1));
    request.version = std::string(requestLine.substr(secondSpace + 1));
    if (!request.version.starts_with("HTTP/1.") || request.target.empty())
        return false;
    const auto question = request.target.find('?');
    request.path = request.target.substr(0, question);
    request.query = question == std::string::npos ? std::string() : request.target.substr(question + 1);

    request.headers.clear();
    std::size_t lineStart = requestLineEnd == std::string_view::npos ? head.size() : requestLineEnd + 2;
    while (lineStart < head.size()) {
        auto lineEnd = head.find("\r\n", lineStart);
        if (lineEnd == std::string_view::npos)
            lineEnd = head.size();
        const std::string_view line = head.substr(lineStart, lineEnd - lineStart);
        lineStart = lineEnd + 2;
        if (line.empty())
            continue;
        const auto colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0 ||
            line.substr(0, colon).find_first_of(" \t") != std::string_view::npos)
            return false;
        request.headers.emplace_back(std::string(line.substr(0, colon)),
                                     std::string(trim(line.substr(colon + 1))));
    }

    const auto connection = request.header("connection");
    if (request.version == "HTTP/1.0")
        request.keepAlive = connection && containsIgnoringCase(*connection, "keep-alive");
    else
        request.keepAlive = !(connection && containsIgnoringCase(*connection, "close"));
    return true;
}

} // namespace

std::optional<std::string> ReceivedRequest::header(std::string_view name) const {
    for (const auto& [headerName, value] : headers)
        if (equalsIgnoringCase(headerName, name))
            return value;
    return std::nullopt;
}

http::Headers ReceivedRequest::lowerCaseHeaders() const {
    http::Headers lower;
    lower.reserve(headers.size());
    for (const auto& [name, value] : headers)
        lower.emplace_back(toLower(name), value);
    return lower;
}

std::string_view reasonPhrase(int status) {
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 413:
        return "Payload Too Large";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return "Status";
    }
}

std::string serializeReply(const Reply& reply, bool keepAlive) {
    std::string wire;
    wire.reserve(reply.body.size() + 256);
    wire += "HTTP/1.1 " + std::to_string(reply.status) + " ";
    wire += reasonPhrase(reply.status);
    wire += "\r\nContent-Type: " + reply.contentType;
    wire += "\r\nContent-Length: " + std::to_string(reply.body.size());
    wire += keepAlive ? "\r\nConnection: keep-alive" : "\r\nConnection: close";
    for (const auto& [name, value] : reply.headers)
        wire += "\r\n" + name + ": " + value;
    wire += "\r\n\r\n";
    wire += reply.body;
    return wire;
}

bool sendAll(int socketFd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t sent = ::send(socketFd, data.data(), data.size(), MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(sent));
    }
    return true;
}

RequestReader::RequestReader(int socketFd, std::function<bool()> stopRequested)
    : m_socketFd(socketFd), m_stopRequested(std::move(stopRequested)) {}

bool RequestReader::receiveMore() {
    char chunk[receiveChunkBytes];
    while (!m_stopRequested()) {
        pollfd watched{m_socketFd, POLLIN, 0};
        const int ready = ::poll(&watched, 1, pollIntervalMs);
        if (ready < 0 && errno != EINTR)
            return false;
        if (ready <= 0)
            continue;
        const ssize_t received = ::recv(m_socketFd, chunk, sizeof chunk, 0);
        if (received > 0) {
            m_buffer.append(chunk, static_cast<std::size_t>(received));
            return true;
        }
        if (received < 0 && errno == EINTR)
            continue;
        return false;
    }
    return false;
}

bool RequestReader::ensureBuffered(std::size_t bytes) {
    while (m_buffer.size() - m_position < bytes)
        if (!receiveMore())
            return false;
    return true;
}

std::optional<std::size_t> RequestReader::ensureLine() {
    std::size_t searchFrom = m_position;
    while (true) {
        const auto lineEnd = m_buffer.find("\r\n", searchFrom);
        if (lineEnd != std::string::npos)
            return lineEnd;
        if (m_buffer.size() - m_position > maxHeaderBytes)
            return std::nullopt;
        searchFrom = m_buffer.empty() ? 0 : m_buffer.size() - 1;
        if (!receiveMore())
            return std::nullopt;
    }
}

void RequestReader::sendContinueIfExpected(const ReceivedRequest& request, std::size_t bodyBytesExpected) {
    const auto expect = request.header("expect");
    if (!expect || !equalsIgnoringCase(trim(*expect), "100-continue") || request.version != "HTTP/1.1")
        return;
    if (m_buffer.size() - m_position >= bodyBytesExpected)
        return; // the client did not wait
    sendAll(m_socketFd, "HTTP/1.1 100 Continue\r\n\r\n");
}

ReadOutcome RequestReader::readChunkedBody(std::string& body) {
    body.clear();
    while (true) {
        const auto sizeLineEnd = ensureLine();
        if (!sizeLineEnd)
            return ReadOutcome::Closed;
        std::string_view sizeText(m_buffer.data() + m_position, *sizeLineEnd - m_position);
        sizeText = trim(sizeText.substr(0, sizeText.find(';')));
        std::uint64_t chunkSize = 0;
        const auto [end, error] =
            std::from_chars(sizeText.data(), sizeText.data() + sizeText.size(), chunkSize, 16);
        if (sizeText.empty() || error != std::errc{} || end != sizeText.data() + sizeText.size())
            return ReadOutcome::Malformed;
        m_position = *sizeLineEnd + 2;
        if (chunkSize == 0) {
            while (true) { // trailer fields, up to the blank line
                const auto trailerEnd = ensureLine();
                if (!trailerEnd)
                    return ReadOutcome::Closed;
                const bool blankLine = *trailerEnd == m_position;
                m_position = *trailerEnd + 2;
                if (blankLine)
                    return ReadOutcome::Request;
            }
        }
        if (chunkSize > maxBodyBytes || body.size() + chunkSize > maxBodyBytes)
            return ReadOutcome::TooLarge;
        const auto chunkBytes = static_cast<std::size_t>(chunkSize);
        if (!ensureBuffered(chunkBytes + 2))
            return ReadOutcome::Closed;
        body.append(m_buffer, m_position, chunkBytes);
        if (m_buffer.compare(m_position + chunkBytes, 2, "\r\n") != 0)
            return ReadOutcome::Malformed;
        m_position += chunkBytes + 2;
    }
}

ReadOutcome RequestReader::next(ReceivedRequest& request) {
    m_buffer.erase(0, m_position);
    m_position = 0;

    std::size_t headEnd = std::string::npos;
    while (true) {
        // Tolerate stray CRLFs between requests.
        while (m_buffer.size() >= m_position + 2 && m_buffer.compare(m_position, 2, "\r\n") == 0)
            m_position += 2;
        headEnd = m_buffer.find("\r\n\r\n", m_position);
        if (headEnd != std::string::npos)
            break;
        if (m_buffer.size() - m_position > maxHeaderBytes)
            return ReadOutcome::TooLarge;
        if (!receiveMore())
            return ReadOutcome::Closed;
    }
    if (!parseHead(std::string_view(m_buffer).substr(m_position, headEnd - m_position), request))
        return ReadOutcome::Malformed;
    m_position = headEnd + 4;

    const auto transferEncoding = request.header("transfer-encoding");
    if (transferEncoding && containsIgnoringCase(*transferEncoding, "chunked")) {
        sendContinueIfExpected(request, 1);
        return readChunkedBody(request.body);
    }

    std::uint64_t contentLength = 0;
    if (const auto lengthText = request.header("content-length")) {
        const auto [end, error] =
            std::from_chars(lengthText->data(), lengthText->data() + lengthText->size(), contentLength);
        if (lengthText->empty() || error != std::errc{} || end != lengthText->data() + lengthText->size())
            return ReadOutcome::Malformed;
    }
    if (contentLength > maxBodyBytes)
        return ReadOutcome::TooLarge;
    const auto bodyBytes = static_cast<std::size_t>(contentLength);
    if (bodyBytes > 0)
        sendContinueIfExpected(request, bodyBytes);
    if (!ensureBuffered(bodyBytes))
        return ReadOutcome::Closed;
    request.body.assign(m_buffer, m_position, bodyBytes);
    m_position += bodyBytes;
    return ReadOutcome::Request;
}

} // namespace sds::standin
