#pragma once

#include "core/Job.h"
#include "gui/ProviderAccess.h"
#include "providers/Provider.h"

#include <QString>
#include <functional>
#include <string>
#include <vector>

class QComboBox;
class QLabel;
class QObject;

namespace sds::gui {

struct ModelFetch {
    bool ok = false;
    std::vector<providers::ModelInfo> models;
    QString error;
};

// Says on `status` that the provider is being asked, lists the models of `choice` off the GUI thread,
// and hands the result to `done` on `owner`'s thread (dropped if `owner` is gone).
void fetchModels(QObject* owner, QLabel* status, const ProviderAccess& access, const ProviderChoice& choice,
                 std::function<void(const ModelFetch&)> done);

// Shows a fetch: on success the models in `combo` (without emitting its signals), with `wanted` selected,
// or typed in when not listed, or the first model when none is wanted, and the count on `status`; on
// failure the provider's message on `status`, the combo left as it was. True on success.
bool showModels(QComboBox* combo, QLabel* status, const ModelFetch& fetch, const std::string& wanted,
                const std::string& providerName);

} // namespace sds::gui
