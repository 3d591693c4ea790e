#include "core/documents/DocumentText.h"

#include "core/Text.h"
#include "core/documents/Extractors.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <iterator>
#include <optional>

namespace sds::documents {
namespace {

constexpr std::uintmax_t kMaxDocumentBytes = 256U * 1024U * 1024U;

enum class Format { Pdf, Docx, PlainText, Unsupported };

Format formatOf(const std::filesystem::path& path) {
    const std::string extension = text::toLower(path.extension().string());
    if (extension == ".pdf")
        return Format::Pdf;
    if (extension == ".docx")
        return Format::Docx;
    if (extension == ".txt" || extension == ".md" || extension == ".markdown")
        return Format::PlainText;
    return Format::Unsupported;
}

std::optional<std::string> readBytes(const std::filesystem::path& path, std::string& error) {
    const std::string name = path.string();
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (ec && ec != std::errc::no_such_file_or_directory) {
        error = name + ": cannot open: " + ec.message();
        return std::nullopt;
    }
    if (ec || !std::filesystem::exists(status)) {
        error = name + ": file not found";
        return std::nullopt;
    }
    if (std::filesystem::is_directory(status)) {
        error = name + ": is a folder, not a file";
        return std::nullopt;
    }
    const auto size = std::filesystem::file_size(path, ec);
    if (!ec && size > kMaxDocumentBytes) {
        error = name + ": too large (" + std::to_string(size / (1024U * 1024U)) + " MB; the limit is " +
                std::to_string(kMaxDocumentBytes / (1024U * 1024U)) + " MB)";
        return std::nullopt;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        error = name + ": cannot open: " + std::strerror(errno);
        return std::nullopt;
    }
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) {
        error = name + ": read failed";
        return std::nullopt;
    }
    return bytes;
}

std::string hexByte(unsigned char byte) {
    std::array<char, 8> buffer{};
    std::snprintf(buffer.data(), buffer.size(), "0x%02X", static_cast<unsigned>(byte));
    return buffer.data();
}

void appendUtf8(std::string& out, char32_t codePoint) {
    if (codePoint < 0x80) {
        out += static_cast<char>(codePoint);
    } else if (codePoint < 0x800) {
        out += static_cast<char>(0xC0 | (codePoint >> 6));
        out += static_cast<char>(0x80 | (codePoint & 0x3F));
    } else if (codePoint < 0x10000) {
        out += static_cast<char>(0xE0 | (codePoint >> 12));
        out += static_cast<char>(0x80 | ((codePoint >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (codePoint & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (codePoint >> 18));
        out += static_cast<char>(0x80 | ((codePoint >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((codePoint >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (codePoint & 0x3F));
    }
}

// UTF-16 after a byte order mark at offset 0; error names the file offset of a bad unit.
std::optional<std::string> decodeUtf16(std::string_view bytes, bool bigEndian, std::string& error) {
    constexpr std::size_t bomSize = 2;
    if (bytes.size() % 2 != 0) {
        error = "not valid UTF-16 text (odd number of bytes)";
        return std::nullopt;
    }
    const auto unitAt = [&](std::size_t offset) {
        const auto first = static_cast<unsigned char>(bytes[offset]);
        const auto second = static_cast<unsigned char>(bytes[offset + 1]);
        return static_cast<char16_t>(bigEndian ? (first << 8) | second : (second << 8) | first);
    };
    std::string out;
    out.reserve(bytes.size());
    for (std::size_t offset = bomSize; offset < bytes.size(); offset += 2) {
        const char16_t unit = unitAt(offset);
        if (unit >= 0xD800 && unit <= 0xDBFF) {
            if (offset + 2 < bytes.size()) {
                const char16_t low = unitAt(offset + 2);
                if (low >= 0xDC00 && low <= 0xDFFF) {
                    appendUtf8(out, 0x10000 + ((static_cast<char32_t>(unit) - 0xD800) << 10) +
                                        (static_cast<char32_t>(low) - 0xDC00));
                    offset += 2;
                    continue;
                }
            }
            error = "not valid UTF-16 text (unpaired surrogate at offset " + std::to_string(offset) + ")";
            return std::nullopt;
        }
        if (unit >= 0xDC00 && unit <= 0xDFFF) {
            error = "not valid UTF-16 text (unpaired surrogate at offset " + std::to_string(offset) + ")";
            return std::nullopt;
        }
        appendUtf8(out, unit);
    }
    return out;
}

} // namespace

namespace detail {

std::size_t firstInvalidUtf8(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto lead = static_cast<unsigned char>(text[i]);
        if (lead < 0x80) {
            ++i;
            continue;
        }
        std::size_t length = 0;
        unsigned char low = 0x80;
        unsigned char high = 0xBF;
        if (lead >= 0xC2 && lead <= 0xDF) {
            length = 2;
        } else if (lead == 0xE0) {
            length = 3;
            low = 0xA0; // below is an overlong form
        } else if (lead == 0xED) {
            length = 3;
            high = 0x9F; // above are the UTF-16 surrogates
        } else if (lead >= 0xE1 && lead <= 0xEF) {
            length = 3;
        } else if (lead == 0xF0) {
            length = 4;
            low = 0x90; // below is an overlong form
        } else if (lead >= 0xF1 && lead <= 0xF3) {
            length = 4;
        } else if (lead == 0xF4) {
            length = 4;
            high = 0x8F; // above is beyond U+10FFFF
        } else {
            return i; // a continuation byte, C0/C1 (overlong) or F5..FF
        }
        if (i + length > text.size())
            return i;
        const auto second = static_cast<unsigned char>(text[i + 1]);
        if (second < low || second > high)
            return i;
        for (std::size_t k = 2; k < length; ++k) {
            const auto next = static_cast<unsigned char>(text[i + k]);
            if (next < 0x80 || next > 0xBF)
                return i;
        }
        i += length;
    }
    return std::string_view::npos;
}

std::string normaliseText(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::size_t pendingNewlines = 0;
    std::string pendingBlanks; // spaces and tabs kept only if something follows on the same line
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '\r') {
            if (i + 1 < text.size() && text[i + 1] == '\n')
                continue;
            c = '\n';
        }
        if (c == '\f') {
            pendingNewlines += 2;
            pendingBlanks.clear();
            continue;
        }
        if (c == '\n') {
            ++pendingNewlines;
            pendingBlanks.clear();
            continue;
        }
        if (c == ' ' || c == '\t') {
            pendingBlanks += c;
            continue;
        }
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F)
            continue;
        if (!out.empty()) {
            out.append(std::min<std::size_t>(pendingNewlines, 2), '\n');
            out += pendingBlanks;
        }
        pendingNewlines = 0;
        pendingBlanks.clear();
        out += c;
    }
    return out;
}

void extractPlainText(const std::string& bytes, ExtractedDocument& document) {
    const std::string name = document.path.string();
    const std::string_view view(bytes);
    if (view.starts_with("\xFF\xFE") || view.starts_with("\xFE\xFF")) {
        std::string reason;
        auto decoded = decodeUtf16(view, view.starts_with("\xFE\xFF"), reason);
        if (!decoded) {
            document.error = name + ": " + reason + "; save it as UTF-8";
            return;
        }
        document.text = std::move(*decoded);
        return;
    }
    const std::size_t start = view.starts_with("\xEF\xBB\xBF") ? 3 : 0;
    const std::string_view body = view.substr(start);
    if (const std::size_t bad = firstInvalidUtf8(body); bad != std::string_view::npos) {
        document.error = name + ": not UTF-8 text (invalid byte " +
                         hexByte(static_cast<unsigned char>(body[bad])) + " at offset " +
                         std::to_string(start + bad) + "); save it as UTF-8";
        return;
    }
    if (const std::size_t nul = body.find('\0'); nul != std::string_view::npos) {
        document.error = name + ": not UTF-8 text (NUL byte at offset " + std::to_string(start + nul) +
                         ", UTF-16 without a byte order mark?); save it as UTF-8";
        return;
    }
    document.text.assign(body);
}

} // namespace detail

bool isSupportedDocument(const std::filesystem::path& path) {
    return formatOf(path) != Format::Unsupported;
}

ExtractedDocument extractText(const std::filesystem::path& path) {
    ExtractedDocument document;
    document.path = path;
    const std::string name = path.string();
    try {
        const Format format = formatOf(path);
        if (format == Format::Unsupported) {
            document.error = name + ": unsupported document type (use .pdf, .docx, .txt, .md or .markdown)";
            return document;
        }
        const auto bytes = readBytes(path, document.error);
        if (!bytes)
            return document;
        switch (format) {
        case Format::Pdf:
            detail::extractPdf(*bytes, document);
            break;
        case Format::Docx:
            detail::extractDocx(*bytes, document);
            break;
        case Format::PlainText:
            detail::extractPlainText(*bytes, document);
            break;
        case Format::Unsupported:
            break;
        }
        if (!document.ok()) {
            document.text.clear();
            return document;
        }
        document.text = detail::normaliseText(document.text);
        if (document.text.empty())
            document.error = name + ": no text found";
    } catch (const std::exception& error) {
        document.text.clear();
        document.error = name + ": cannot extract text: " + error.what();
    }
    return document;
}

} // namespace sds::documents
