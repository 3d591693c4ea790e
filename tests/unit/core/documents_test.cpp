#include "core/documents/Chunker.h"
#include "core/documents/DocumentText.h"
#include "core/documents/Extractors.h"
#include "testsupport/TempDir.h"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <iterator>
#include <string>
#include <vector>

namespace sds::documents {
namespace {

using testing::TempDir;

std::filesystem::path dataFile(const std::string& name) {
    return std::filesystem::path(SDS_TEST_DATA_DIR) / "documents" / name;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::size_t codePoints(std::string_view text) {
    std::size_t count = 0;
    for (const char c : text)
        if ((static_cast<unsigned char>(c) & 0xC0U) != 0x80U)
            ++count;
    return count;
}

// --------------------------------------------------------------------------- documents

TEST(DocumentText, SupportedExtensionsInAnyCase) {
    for (const char* name : {"a.pdf", "b.DOCX", "c.txt", "d.md", "e.Markdown", "dir/f.PDF"})
        EXPECT_TRUE(isSupportedDocument(name)) << name;
    for (const char* name : {"a.doc", "b.rtf", "c", "d.pdf.zip", ".txt.bak", "e.odt"})
        EXPECT_FALSE(isSupportedDocument(name)) << name;
}

TEST(DocumentText, PdfTextComesPageByPageInReadingOrder) {
    const auto document = extractText(dataFile("two_pages.pdf"));
    ASSERT_TRUE(document.ok()) << document.error;
    EXPECT_EQ(document.text, "Quarterly report\n\n"
                             "Revenue grew by ten percent in the third quarter.\n"
                             "The caf\u00e9 opened a second site.\n\n"
                             "Second page text.\n"
                             "Costs stayed flat.");
    EXPECT_TRUE(document.warnings.empty());
    EXPECT_EQ(document.path, dataFile("two_pages.pdf"));
}

TEST(DocumentText, PdfPageWithoutTextIsAWarning) {
    const auto document = extractText(dataFile("mixed.pdf"));
    ASSERT_TRUE(document.ok()) << document.error;
    EXPECT_TRUE(document.text.starts_with("Quarterly report\n\n"));
    ASSERT_EQ(document.warnings.size(), 1U);
    EXPECT_TRUE(contains(document.warnings[0], "mixed.pdf: page 2 has no text layer"))
        << document.warnings[0];
}

TEST(DocumentText, ScannedPdfIsRefusedWithAnOcrHint) {
    const auto document = extractText(dataFile("scanned.pdf"));
    ASSERT_FALSE(document.ok());
    EXPECT_TRUE(contains(document.error, "scanned.pdf: no text layer")) << document.error;
    EXPECT_TRUE(contains(document.error, "OCR")) << document.error;
    EXPECT_TRUE(document.text.empty());
}

TEST(DocumentText, EncryptedPdfIsRefused) {
    const auto document = extractText(dataFile("encrypted.pdf"));
    ASSERT_FALSE(document.ok());
    EXPECT_TRUE(contains(document.error, "encrypted.pdf: ")) << document.error;
    EXPECT_TRUE(contains(document.error, "encrypted")) << document.error;
    EXPECT_TRUE(contains(document.error, "remove the password")) << document.error;
}

TEST(DocumentText, PdfWithOnlyAnOwnerPasswordIsRead) {
    const auto document = extractText(dataFile("owner_password_only.pdf"));
    ASSERT_TRUE(document.ok()) << document.error;
    EXPECT_EQ(document.text, "Second page text.\nCosts stayed flat.");
}

TEST(DocumentText, DamagedPdfIsRefused) {
    for (const char* name : {"corrupt.pdf", "truncated.pdf"}) {
        const auto document = extractText(dataFile(name));
        ASSERT_FALSE(document.ok()) << name;
        EXPECT_TRUE(contains(document.error, std::string(name) + ": the PDF is damaged")) << document.error;
        EXPECT_EQ(document.error.find('\n'), std::string::npos);
    }
}

TEST(DocumentText, FileThatIsNoPdfIsRefused) {
    TempDir dir;
    const auto document = extractText(dir.write("notes.pdf", "just some text\n"));
    ASSERT_FALSE(document.ok());
    EXPECT_TRUE(contains(document.error, "notes.pdf: not a PDF")) << document.error;
}

TEST(DocumentText, DocxParagraphsListAndTableInDocumentOrder) {
    const auto document = extractText(dataFile("paragraphs_list_table.docx"));
    ASSERT_TRUE(document.ok()) << document.error;
    EXPECT_EQ(document.text, "Project notes\n\n"
                             "The first paragraph is split into runs.\n\n"
                             "Name:\tCaf\u00e9\nNext line\n\n"
                             "Deleted text is skipped.\n\n"
                             "- First item\n- Second item\n\n"
                             "a | b | c\n1 | 2 | 3\n\n"
                             "Closing paragraph.");
    EXPECT_TRUE(document.warnings.empty());
}

TEST(DocumentText, BrokenZipIsNotADocx) {
    const auto document = extractText(dataFile("broken_zip.docx"));
    ASSERT_FALSE(document.ok());
    EXPECT_TRUE(contains(document.error, "broken_zip.docx: not a DOCX")) << document.error;
    EXPECT_TRUE(contains(document.error, "zip archive")) << document.error;
}

TEST(DocumentText, TextFileNamedDocxIsNotAZipArchive) {
    TempDir dir;
    const auto document = extractText(dir.write("letter.docx", "Dear reader,\nthis is plain text.\n"));
    ASSERT_FALSE(document.ok());
    EXPECT_TRUE(contains(document.error, "letter.docx: not a DOCX (not a zip archive)")) << document.error;
}

TEST(DocumentText, DamagedDocumentXmlInsideTheZipIsRefused) {
    std::ifstream in(dataFile("paragraphs_list_table.docx"), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::size_t entry = bytes.find("word/document.xml"); // its local header, before the data
    ASSERT_NE(entry, std::string::npos);
    bytes[entry + 17 + 40] = static_cast<char>(bytes[entry + 17 + 40] ^ 0x5A);
    TempDir dir;
    const auto document = extractText(dir.write("flipped.docx", bytes));
    ASSERT_FALSE(document.ok());
    EXPECT_TRUE(contains(document.error, "flipped.docx: damaged DOCX: cannot read word/document.xml ("))
        << document.error;
}

TEST(DocumentText, ZipWithoutDocumentXmlIsNotADocx) {
    const auto document = extractText(dataFile("no_document_xml.docx"));
    ASSERT_FALSE(document.ok());
    EXPECT_TRUE(contains(document.error, "no_document_xml.docx: not a DOCX")) << document.error;
    EXPECT_TRUE(contains(document.error, "word/document.xml")) << document.error;
}

TEST(DocumentText, MalformedDocumentXmlIsRefused) {
    const auto document = extractText(dataFile("malformed_xml.docx"));
    ASSERT_FALSE(document.ok());
    EXPECT_TRUE(contains(document.error, "malformed_xml.docx: word/document.xml is not well-formed XML"))
        << document.error;
    EXPECT_TRUE(contains(document.error, "at offset")) << document.error;
}

TEST(DocumentText, MarkdownLosesItsByteOrderMarkAndCarriageReturns) {
    const auto document = extractText(dataFile("guide.md"));
    ASSERT_TRUE(document.ok()) << document.error;
    EXPECT_EQ(document.text, "# Guide\n\n"
                             "Caf\u00e9 au lait costs 3 \u20ac. Launch \U0001F680 at noon.\n\n"
                             "- one\n- two");
}

TEST(DocumentText, Utf16WithByteOrderMarkBecomesUtf8) {
    for (const char* name : {"utf16le.txt", "utf16be.txt"}) {
        const auto document = extractText(dataFile(name));
        ASSERT_TRUE(document.ok()) << document.error;
        EXPECT_EQ(document.text, "First line\nZweite Zeile: \u00fcber\n\nEmoji \U0001F600 here.") << name;
    }
}

TEST(DocumentText, Latin1TextIsRefusedWithTheOffset) {
    const auto document = extractText(dataFile("latin1.txt"));
    ASSERT_FALSE(document.ok());
    EXPECT_TRUE(contains(document.error, "latin1.txt: not UTF-8 text (invalid byte 0xE9 at offset 22)"))
        << document.error;
    EXPECT_TRUE(contains(document.error, "save it as UTF-8")) << document.error;
    EXPECT_TRUE(document.text.empty());
}

TEST(DocumentText, Utf8ValidationRefusesOverlongsSurrogatesAndOutOfRange) {
    struct Case {
        std::string bytes;
        std::size_t offset;
    };
    const std::vector<Case> invalid = {
        {"ab\xC0\xAF", 2},         // overlong '/'
        {"ab\xC1\xBF", 2},         // overlong
        {"ab\xE0\x80\xAF", 2},     // overlong 3-byte
        {"ab\xF0\x80\x80\xAF", 2}, // overlong 4-byte
        {"ab\xED\xA0\x80", 2},     // UTF-16 surrogate D800
        {"ab\xED\xBF\xBF", 2},     // UTF-16 surrogate DFFF
        {"ab\xF4\x90\x80\x80", 2}, // U+110000
        {"ab\xF5\x80\x80\x80", 2}, // lead byte beyond the range
        {"ab\x80", 2},             // stray continuation byte
        {"ab\xC3", 2},             // cut off at the end
        {"ab\xE2\x82 x", 2},       // cut off before a space
        {"\xC3\xA9\xFF", 2},       // 0xFF never appears
        {"\xEF\xBB\xBF"
         "ab\xE9",
         5}, // offsets count the byte order mark
    };
    for (const Case& c : invalid) {
        if (c.bytes.starts_with("\xEF\xBB\xBF"))
            EXPECT_EQ(detail::firstInvalidUtf8(c.bytes.substr(3)) + 3, c.offset);
        else
            EXPECT_EQ(detail::firstInvalidUtf8(c.bytes), c.offset) << c.offset;
    }
    const std::vector<std::string> valid = {"",
                                            "plain",
                                            "\xC2\x80",
                                            "\xDF\xBF",
                                            "\xE0\xA0\x80",
                                            "\xED\x9F\xBF",
                                            "\xEE\x80\x80",
                                            "\xEF\xBF\xBF",
                                            "\xF0\x90\x80\x80",
                                            "\xF4\x8F\xBF\xBF",
                                            "caf\xC3\xA9 \xF0\x9F\x9A\x80"};
    for (const std::string& text : valid)
        EXPECT_EQ(detail::firstInvalidUtf8(text), std::string_view::npos) << text;

    TempDir dir;
    const auto surrogate = extractText(dir.write("surrogate.txt", "ok\n\xED\xA0\x80"));
    EXPECT_TRUE(contains(surrogate.error, "surrogate.txt: not UTF-8 text (invalid byte 0xED at offset 3)"))
        << surrogate.error;
    const auto withBom = extractText(dir.write("bom.md", "\xEF\xBB\xBF"
                                                         "ab\xE9"));
    EXPECT_TRUE(contains(withBom.error, "bom.md: not UTF-8 text (invalid byte 0xE9 at offset 5)"))
        << withBom.error;
}

TEST(DocumentText, Utf16WithoutByteOrderMarkOrWithBrokenSurrogatesIsRefused) {
    TempDir dir;
    const auto noBom = extractText(dir.write("nobom.txt", std::string("h\0i\0", 4)));
    EXPECT_TRUE(contains(noBom.error, "nobom.txt: not UTF-8 text (NUL byte at offset 1")) << noBom.error;
    const auto lone = extractText(dir.write("lone.txt", std::string("\xFF\xFEh\0\x00\xD8i\0", 8)));
    EXPECT_TRUE(contains(lone.error, "lone.txt: not valid UTF-16 text (unpaired surrogate at offset 4)"))
        << lone.error;
    const auto odd = extractText(dir.write("odd.txt", std::string("\xFE\xFF\0h\0", 5)));
    EXPECT_TRUE(contains(odd.error, "odd.txt: not valid UTF-16 text (odd number of bytes)")) << odd.error;
}

TEST(DocumentText, LineEndsBlankLinesAndTrailingSpacesAreNormalised) {
    TempDir dir;
    const auto document =
        extractText(dir.write("messy.txt", "\r\n  \r\nTitle  \r\rone\r\n  indented\t\n\n\n\n\nlast \n\n"));
    ASSERT_TRUE(document.ok()) << document.error;
    EXPECT_EQ(document.text, "Title\n\none\n  indented\n\nlast");
}

TEST(DocumentText, MissingFolderUnsupportedAndEmptyFilesAreRefused) {
    TempDir dir;
    const auto missing = extractText(dir / "gone.pdf");
    EXPECT_TRUE(contains(missing.error, "gone.pdf: file not found")) << missing.error;

    std::filesystem::create_directories(dir / "folder.md");
    const auto folder = extractText(dir / "folder.md");
    EXPECT_TRUE(contains(folder.error, "folder.md: is a folder")) << folder.error;

    const auto unsupported = extractText(dir.write("old.doc", "x"));
    EXPECT_TRUE(contains(unsupported.error, "old.doc: unsupported document type")) << unsupported.error;

    for (const char* name : {"empty.txt", "blank.md"}) {
        const auto empty = extractText(dir.write(name, name == std::string("empty.txt") ? "" : " \r\n\t\n"));
        EXPECT_FALSE(empty.ok());
        EXPECT_TRUE(contains(empty.error, std::string(name) + ": no text found")) << empty.error;
    }
}

TEST(DocumentText, TestDocumentsStaySmall) {
    for (const auto& entry : std::filesystem::directory_iterator(dataFile("")))
        EXPECT_LT(entry.file_size(), 50U * 1024U) << entry.path();
}

// --------------------------------------------------------------------------- chunking

// Where each chunk sits in the text (chunks are exact slices of it), found left to right.
std::vector<std::pair<std::size_t, std::size_t>> locate(const std::string& text,
                                                        const std::vector<std::string>& chunks) {
    std::vector<std::pair<std::size_t, std::size_t>> ranges;
    std::size_t from = 0;
    for (const std::string& chunk : chunks) {
        const std::size_t at = text.find(chunk, from);
        EXPECT_NE(at, std::string::npos) << chunk;
        if (at == std::string::npos)
            break;
        ranges.emplace_back(at, at + chunk.size());
        from = at + 1;
    }
    return ranges;
}

std::string numberedSentences(int paragraphs, int sentencesPerParagraph) {
    std::string text;
    int n = 0;
    for (int p = 0; p < paragraphs; ++p) {
        if (p > 0)
            text += "\n\n";
        for (int s = 0; s < sentencesPerParagraph; ++s, ++n) {
            if (s > 0)
                text += ' ';
            text += "Sentence " + std::to_string(n) + " says something about item " + std::to_string(n * 7) +
                    (n % 3 == 0   ? "!"
                     : n % 3 == 1 ? "."
                                  : "?");
        }
    }
    return text;
}

TEST(ChunkOptions, ValidateNamesTheProblem) {
    EXPECT_EQ(validate(ChunkOptions{}), "");
    EXPECT_EQ(validate({100, 49}), "");
    EXPECT_EQ(validate({1000, 499}), "");
    EXPECT_EQ(validate({1000, 0}), "");
    EXPECT_TRUE(contains(validate({99, 0}), "at least 100")) << validate({99, 0});
    EXPECT_TRUE(contains(validate({1000, 500}), "less than half")) << validate({1000, 500});
    EXPECT_TRUE(contains(validate({100, 50}), "overlap")) << validate({100, 50});
    EXPECT_FALSE(validate({100'000'000, 10}).empty());
}

TEST(Chunker, EmptyOrBlankTextGivesNoChunks) {
    EXPECT_TRUE(chunkText("", {}).empty());
    EXPECT_TRUE(chunkText(" \n\n\t ", {}).empty());
}

TEST(Chunker, ShortTextIsOneTrimmedChunk) {
    const auto chunks = chunkText("\n  One short paragraph. With two sentences.  \n", {});
    ASSERT_EQ(chunks.size(), 1U);
    EXPECT_EQ(chunks[0], "One short paragraph. With two sentences.");
}

TEST(Chunker, ChunksAreBoundedOverlapAndEndAtSentences) {
    const std::string text = numberedSentences(1, 120); // one long paragraph
    const ChunkOptions options{300, 60};
    const auto chunks = chunkText(text, options);
    ASSERT_GT(chunks.size(), 10U);
    const auto ranges = locate(text, chunks);
    ASSERT_EQ(ranges.size(), chunks.size());
    EXPECT_EQ(ranges.front().first, 0U);
    EXPECT_EQ(ranges.back().second, text.size());
    for (std::size_t i = 0; i < chunks.size(); ++i) {
        EXPECT_LE(codePoints(chunks[i]), options.size) << i;
        EXPECT_GE(codePoints(chunks[i]), options.size / 3) << i;
        EXPECT_TRUE(chunks[i].ends_with(".") || chunks[i].ends_with("!") || chunks[i].ends_with("?"))
            << chunks[i];
        EXPECT_TRUE(chunks[i].starts_with("Sentence ")) << chunks[i];
        if (i == 0)
            continue;
        const std::size_t overlap = ranges[i - 1].second - ranges[i].first;
        EXPECT_GT(ranges[i].first, ranges[i - 1].first) << i;
        EXPECT_GT(ranges[i].second, ranges[i - 1].second) << i;
        EXPECT_GT(overlap, 0U) << i; // sentences are ~45 characters, so one fits in the 60 of overlap
        EXPECT_LE(overlap, options.overlap) << i;
    }
}

TEST(Chunker, ParagraphEndsComeFirst) {
    const std::string text = numberedSentences(8, 5); // paragraphs of ~230 characters
    const auto chunks = chunkText(text, {600, 0});
    const auto ranges = locate(text, chunks);
    ASSERT_EQ(ranges.size(), chunks.size());
    ASSERT_GT(chunks.size(), 2U);
    for (std::size_t i = 0; i < ranges.size(); ++i) {
        EXPECT_TRUE(ranges[i].second == text.size() || text.compare(ranges[i].second, 2, "\n\n") == 0)
            << chunks[i];
        EXPECT_TRUE(ranges[i].first == 0 || text.compare(ranges[i].first - 2, 2, "\n\n") == 0) << chunks[i];
        EXPECT_LE(codePoints(chunks[i]), 600U);
    }
    // Without overlap the chunks and the blank lines between them are the whole text.
    std::string joined;
    for (const auto& chunk : chunks)
        joined += (joined.empty() ? "" : "\n\n") + chunk;
    EXPECT_EQ(joined, text);
}

TEST(Chunker, AbbreviationBeforeALowerCaseWordEndsNoSentence) {
    std::string text;
    for (int i = 0; i < 30; ++i)
        text += "Item " + std::to_string(i) + " needs tools, e.g. hammers and saws for the work. ";
    const auto chunks = chunkText(text, {200, 90}); // a sentence (~56) fits in the overlap
    ASSERT_GT(chunks.size(), 5U);
    for (const auto& chunk : chunks) {
        EXPECT_TRUE(chunk.ends_with("work.")) << chunk;
        EXPECT_TRUE(chunk.starts_with("Item ")) << chunk;
    }
}

TEST(Chunker, WithoutSentencesItSplitsBetweenWordsAndOverlapsFromAWordStart) {
    std::string text;
    for (int i = 0; i < 400; ++i)
        text += (i ? " " : "") + std::string("word") + std::to_string(i);
    const auto chunks = chunkText(text, {150, 30});
    const auto ranges = locate(text, chunks);
    ASSERT_EQ(ranges.size(), chunks.size());
    for (std::size_t i = 0; i < ranges.size(); ++i) {
        EXPECT_LE(codePoints(chunks[i]), 150U);
        EXPECT_TRUE(ranges[i].first == 0 || text[ranges[i].first - 1] == ' ') << chunks[i];
        EXPECT_TRUE(ranges[i].second == text.size() || text[ranges[i].second] == ' ') << chunks[i];
        if (i > 0) {
            EXPECT_GE(ranges[i - 1].second - ranges[i].first, 20U) << i; // words are 5-7 characters
            EXPECT_LE(ranges[i - 1].second - ranges[i].first, 30U) << i;
        }
    }
    EXPECT_EQ(ranges.back().second, text.size());
}

TEST(Chunker, NeverSplitsACodePoint) {
    // No spaces at all: the last resort cuts inside the "word", but between code points.
    std::string text;
    for (int i = 0; i < 300; ++i)
        text += i % 3 == 0 ? "\u00e9" : i % 3 == 1 ? "\U0001F680" : "a";
    const ChunkOptions options{100, 10};
    const auto chunks = chunkText(text, options);
    ASSERT_EQ(chunks.size(), 4U); // 300 code points, 100 each, stepping back 10: 0, 90, 180, 270
    std::size_t total = 0;
    for (const auto& chunk : chunks) {
        EXPECT_EQ(detail::firstInvalidUtf8(chunk), std::string_view::npos) << chunk;
        EXPECT_LE(codePoints(chunk), options.size);
        total += codePoints(chunk);
    }
    EXPECT_EQ(codePoints(chunks[0]), 100U);
    EXPECT_EQ(total, 300U + 3U * 10U);
    EXPECT_EQ(locate(text, chunks).size(), chunks.size());
}

TEST(Chunker, AccentsAndEmojiCountAsOneCharacterEach) {
    std::string text;
    for (int i = 0; i < 60; ++i)
        text += "Caf\u00e9 \U0001F600 num\u00e9ro " + std::to_string(i) + ". ";
    const auto chunks = chunkText(text, {120, 20});
    ASSERT_GT(chunks.size(), 5U);
    for (const auto& chunk : chunks) {
        EXPECT_LE(codePoints(chunk), 120U);
        EXPECT_GT(chunk.size(), codePoints(chunk)); // bytes exceed characters: not counted in bytes
        EXPECT_GE(codePoints(chunk), 40U);
        EXPECT_EQ(detail::firstInvalidUtf8(chunk), std::string_view::npos);
        EXPECT_TRUE(chunk.starts_with("Caf\u00e9") && chunk.ends_with(".")) << chunk;
    }
}

TEST(Chunker, SameInputSameChunks) {
    const std::string text = numberedSentences(6, 9);
    EXPECT_EQ(chunkText(text, {250, 50}), chunkText(text, {250, 50}));
}

TEST(Chunker, OptionsThatFailValidationStillTerminate) {
    const std::string text = numberedSentences(2, 20);
    for (const ChunkOptions options : {ChunkOptions{0, 0}, ChunkOptions{1, 5}, ChunkOptions{10, 10}}) {
        const auto chunks = chunkText(text, options);
        ASSERT_FALSE(chunks.empty());
        for (const auto& chunk : chunks)
            EXPECT_LE(codePoints(chunk), std::max<std::size_t>(options.size, 1));
    }
}

TEST(Chunker, ChunksOfAnExtractedDocumentCoverIt) {
    const auto document = extractText(dataFile("paragraphs_list_table.docx"));
    ASSERT_TRUE(document.ok()) << document.error;
    const auto chunks = chunkText(document.text, {100, 20});
    ASSERT_GE(chunks.size(), 2U);
    const auto ranges = locate(document.text, chunks);
    ASSERT_EQ(ranges.size(), chunks.size());
    EXPECT_EQ(ranges.front().first, 0U);
    EXPECT_EQ(ranges.back().second, document.text.size());
    for (std::size_t i = 1; i < ranges.size(); ++i)
        EXPECT_LE(ranges[i].first, ranges[i - 1].second + 2) << "gap before chunk " << i;
}

} // namespace
} // namespace sds::documents
