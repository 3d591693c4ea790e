#include "core/documents/Extractors.h"

#include <climits>
#include <memory>
#include <mutex>
#include <poppler-document.h>
#include <poppler-global.h>
#include <poppler-page.h>
#include <string>
#include <vector>

namespace sds::documents::detail {
namespace {

void ignorePopplerMessage(const std::string& /*message*/, void* /*closure*/) {}

// Poppler prints every complaint about a damaged file to stderr; our errors say what matters.
void silencePoppler() {
    static std::once_flag once;
    std::call_once(once, [] { poppler::set_debug_error_function(ignorePopplerMessage, nullptr); });
}

bool hasPdfHeader(const std::string& bytes) {
    return bytes.substr(0, 1024).find("%PDF-") != std::string::npos;
}

} // namespace

void extractPdf(const std::string& bytes, ExtractedDocument& document) {
    silencePoppler();
    const std::string name = document.path.string();
    if (!hasPdfHeader(bytes)) {
        document.error = name + ": not a PDF (no %PDF header)";
        return;
    }
    if (bytes.size() > static_cast<std::size_t>(INT_MAX)) {
        document.error = name + ": too large for the PDF reader";
        return;
    }
    const std::unique_ptr<poppler::document> pdf(
        poppler::document::load_from_raw_data(bytes.data(), static_cast<int>(bytes.size())));
    if (!pdf) {
        document.error = name + ": the PDF is damaged and cannot be read";
        return;
    }
    // Checked before anything else: poppler crashes when asked for the pages of a locked document.
    if (pdf->is_locked()) {
        document.error =
            name + ": the PDF is encrypted (password protected); remove the password and try again";
        return;
    }
    const int pageCount = pdf->pages();
    if (pageCount <= 0) {
        document.error = name + ": the PDF has no pages";
        return;
    }
    std::vector<std::string> pageWarnings;
    int pagesWithText = 0;
    for (int index = 0; index < pageCount; ++index) {
        const std::string pageLabel = name + ": page " + std::to_string(index + 1);
        const std::unique_ptr<poppler::page> page(pdf->create_page(index));
        if (!page) {
            pageWarnings.push_back(pageLabel + " cannot be read");
            continue;
        }
        const poppler::byte_array utf8 =
            page->text(poppler::rectf(), poppler::page::non_raw_non_physical_layout).to_utf8();
        std::string pageText = normaliseText(std::string_view(utf8.data(), utf8.size()));
        if (pageText.empty()) {
            pageWarnings.push_back(pageLabel + " has no text layer");
            continue;
        }
        ++pagesWithText;
        if (!document.text.empty())
            document.text += "\n\n";
        document.text += pageText;
    }
    if (pagesWithText == 0) {
        document.error = name + ": no text layer (a scanned PDF?); run OCR on it first";
        return;
    }
    document.warnings.insert(document.warnings.end(), pageWarnings.begin(), pageWarnings.end());
}

} // namespace sds::documents::detail
