#include "core/documents/Extractors.h"

#include <memory>
#include <optional>
#include <pugixml.hpp>
#include <string>
#include <string_view>
#include <vector>
#include <zip.h>

namespace sds::documents::detail {
namespace {

constexpr const char* kMainPart = "word/document.xml";
constexpr zip_uint64_t kMaxPartBytes = 256U * 1024U * 1024U;

struct ArchiveCloser {
    void operator()(zip_t* archive) const { zip_discard(archive); }
};
struct EntryCloser {
    void operator()(zip_file_t* file) const { zip_fclose(file); }
};
using Archive = std::unique_ptr<zip_t, ArchiveCloser>;
using Entry = std::unique_ptr<zip_file_t, EntryCloser>;

std::string zipMessage(int code) {
    zip_error_t error;
    zip_error_init_with_code(&error, code);
    std::string message = zip_error_strerror(&error);
    zip_error_fini(&error);
    return message;
}

// Opens the archive held in `bytes` (which must outlive it); `error` says why not.
Archive openArchive(const std::string& bytes, std::string& error) {
    zip_error_t zipError;
    zip_error_init(&zipError);
    zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &zipError);
    if (source == nullptr) {
        error = zip_error_strerror(&zipError);
        zip_error_fini(&zipError);
        return nullptr;
    }
    zip_t* archive = zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &zipError);
    if (archive == nullptr) {
        zip_source_free(source);
        const int code = zip_error_code_zip(&zipError);
        error = code == ZIP_ER_NOZIP ? std::string("not a zip archive")
                                     : "damaged zip archive: " + zipMessage(code);
        zip_error_fini(&zipError);
        return nullptr;
    }
    zip_error_fini(&zipError);
    return Archive(archive);
}

// The uncompressed entry, or empty optional with `error` set ("" when the entry does not exist).
std::optional<std::string> readEntry(zip_t* archive, const char* entryName, std::string& error) {
    const zip_int64_t index = zip_name_locate(archive, entryName, 0);
    if (index < 0) {
        error.clear();
        return std::nullopt;
    }
    zip_stat_t stat;
    zip_stat_init(&stat);
    if (zip_stat_index(archive, static_cast<zip_uint64_t>(index), 0, &stat) != 0 ||
        (stat.valid & ZIP_STAT_SIZE) == 0) {
        error = zip_strerror(archive);
        return std::nullopt;
    }
    if (stat.size > kMaxPartBytes) {
        error = "too large when uncompressed";
        return std::nullopt;
    }
    const Entry file(zip_fopen_index(archive, static_cast<zip_uint64_t>(index), 0));
    if (!file) {
        error = zip_strerror(archive);
        return std::nullopt;
    }
    std::string content(static_cast<std::size_t>(stat.size), '\0');
    zip_uint64_t done = 0;
    while (done < stat.size) {
        const zip_int64_t got = zip_fread(file.get(), content.data() + done, stat.size - done);
        if (got < 0) {
            error = zip_file_strerror(file.get());
            return std::nullopt;
        }
        if (got == 0)
            break;
        done += static_cast<zip_uint64_t>(got);
    }
    content.resize(static_cast<std::size_t>(done));
    return content;
}

// "w:p" -> "p": WordprocessingML always binds its namespace, but not always to the prefix "w".
std::string_view localName(const pugi::xml_node& node) {
    const std::string_view name = node.name();
    const auto colon = name.find(':');
    return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node childNamed(const pugi::xml_node& node, std::string_view name) {
    for (const pugi::xml_node child : node.children())
        if (localName(child) == name)
            return child;
    return {};
}

// Text of the runs inside a paragraph (or of a text box inside it), in document order.
void appendInlineText(const pugi::xml_node& node, std::string& out) {
    for (const pugi::xml_node child : node.children()) {
        if (child.type() != pugi::node_element)
            continue;
        const std::string_view name = localName(child);
        if (name == "t") {
            out += child.text().get();
        } else if (name == "tab") {
            out += '\t';
        } else if (name == "br" || name == "cr") {
            out += '\n';
        } else if (name == "noBreakHyphen") {
            out += '-';
        } else if (name == "p") { // a paragraph of a text box drawn inside this one
            out += '\n';
            appendInlineText(child, out);
            out += '\n';
        } else if (name == "pPr" || name == "rPr" || name == "del" || name == "moveFrom" ||
                   name == "instrText" || name == "delText" || name == "Fallback") {
            // formatting, deleted text, field codes, and the duplicate of a drawing for old readers
        } else {
            appendInlineText(child, out);
        }
    }
}

bool isListItem(const pugi::xml_node& paragraph) {
    const pugi::xml_node properties = childNamed(paragraph, "pPr");
    return properties && childNamed(properties, "numPr");
}

std::string trimmed(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\n");
    if (first == std::string_view::npos)
        return {};
    const auto last = text.find_last_not_of(" \t\n");
    return std::string(text.substr(first, last - first + 1));
}

struct Blocks {
    std::vector<std::string> items;
    bool lastIsList = false;

    void addParagraph(std::string text, bool listItem) {
        if (listItem && lastIsList) {
            items.back() += "\n- " + text;
        } else {
            items.push_back(listItem ? "- " + text : std::move(text));
        }
        lastIsList = listItem;
    }
    void addBlock(std::string text) {
        items.push_back(std::move(text));
        lastIsList = false;
    }
};

void appendBlocks(const pugi::xml_node& container, Blocks& blocks);

std::string cellText(const pugi::xml_node& cell) {
    Blocks inner;
    appendBlocks(cell, inner);
    std::string text;
    for (const std::string& item : inner.items) {
        if (!text.empty())
            text += ' ';
        text += item;
    }
    for (char& c : text)
        if (c == '\n' || c == '\t')
            c = ' ';
    return text;
}

void appendRowCells(const pugi::xml_node& node, std::vector<std::string>& cells) {
    for (const pugi::xml_node child : node.children()) {
        const std::string_view name = localName(child);
        if (name == "tc")
            cells.push_back(cellText(child));
        else if (name == "sdt")
            appendRowCells(childNamed(child, "sdtContent"), cells);
    }
}

void appendRows(const pugi::xml_node& node, std::string& out) {
    for (const pugi::xml_node child : node.children()) {
        const std::string_view name = localName(child);
        if (name == "tr") {
            std::vector<std::string> cells;
            appendRowCells(child, cells);
            std::string row;
            bool anyText = false;
            for (std::size_t i = 0; i < cells.size(); ++i) {
                if (i > 0)
                    row += " | ";
                row += cells[i];
                anyText = anyText || !cells[i].empty();
            }
            if (!anyText)
                continue;
            if (!out.empty())
                out += '\n';
            out += row;
        } else if (name == "sdt") {
            appendRows(childNamed(child, "sdtContent"), out);
        }
    }
}

// Paragraphs, list items and tables of a body, table cell or content control, in document order.
void appendBlocks(const pugi::xml_node& container, Blocks& blocks) {
    for (const pugi::xml_node child : container.children()) {
        const std::string_view name = localName(child);
        if (name == "p") {
            std::string text;
            appendInlineText(child, text);
            text = trimmed(text);
            if (!text.empty())
                blocks.addParagraph(std::move(text), isListItem(child));
        } else if (name == "tbl") {
            std::string rows;
            appendRows(child, rows);
            if (!rows.empty())
                blocks.addBlock(std::move(rows));
        } else if (name == "sdt") {
            appendBlocks(childNamed(child, "sdtContent"), blocks);
        } else if (name == "customXml" || name == "ins" || name == "moveTo") {
            appendBlocks(child, blocks);
        }
    }
}

} // namespace

void extractDocx(const std::string& bytes, ExtractedDocument& document) {
    const std::string name = document.path.string();
    std::string error;
    const Archive archive = openArchive(bytes, error);
    if (!archive) {
        document.error = name + ": not a DOCX (" + error + ")";
        return;
    }
    const auto xml = readEntry(archive.get(), kMainPart, error);
    if (!xml) {
        document.error = error.empty()
                             ? name + ": not a DOCX (the archive has no " + kMainPart + ")"
                             : name + ": damaged DOCX: cannot read " + kMainPart + " (" + error + ")";
        return;
    }
    pugi::xml_document tree;
    const pugi::xml_parse_result parsed =
        tree.load_buffer(xml->data(), xml->size(), pugi::parse_default | pugi::parse_ws_pcdata);
    if (!parsed) {
        document.error = name + ": " + kMainPart + " is not well-formed XML (" + parsed.description() +
                         " at offset " + std::to_string(parsed.offset) + ")";
        return;
    }
    const pugi::xml_node root = tree.document_element();
    const pugi::xml_node body = childNamed(root, "body");
    if (localName(root) != "document" || !body) {
        document.error = name + ": " + kMainPart + " has no document body (not a Word document?)";
        return;
    }
    Blocks blocks;
    appendBlocks(body, blocks);
    for (const std::string& item : blocks.items) {
        if (!document.text.empty())
            document.text += "\n\n";
        document.text += item;
    }
}

} // namespace sds::documents::detail
