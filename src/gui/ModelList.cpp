#include "gui/ModelList.h"

#include "gui/Background.h"
#include "gui/FieldMessage.h"
#include "gui/Format.h"

#include <QComboBox>
#include <QLabel>
#include <QSignalBlocker>

namespace sds::gui {

void fetchModels(QObject* owner, QLabel* status, const ProviderAccess& access, const ProviderChoice& choice,
                 std::function<void(const ModelFetch&)> done) {
    status->setStyleSheet(QString());
    status->setText(QObject::tr("Asking %1 for its models…").arg(providerDisplayName(choice.name)));
    runInBackground(
        owner,
        [access, choice] {
            CancellationToken cancel;
            const auto listed = access.listModels(choice, cancel);
            ModelFetch fetch;
            fetch.ok = listed.ok();
            if (listed.ok())
                fetch.models = listed.value();
            else
                fetch.error = qs(listed.error().message);
            return fetch;
        },
        std::move(done), providerCallPool());
}

bool showModels(QComboBox* combo, QLabel* status, const ModelFetch& fetch, const std::string& wanted,
                const std::string& providerName) {
    if (!fetch.ok) {
        showOutcome(status, false,
                    QObject::tr("Cannot list the models of %1: %2. Type a model ID, or check the provider in "
                                "Settings.")
                        .arg(providerDisplayName(providerName), fetch.error));
        return false;
    }
    {
        const QSignalBlocker blocker(combo);
        combo->clear();
        for (const auto& model : fetch.models)
            combo->addItem(qs(model.displayName.empty() ? model.id : model.displayName), qs(model.id));
        const int index = combo->findData(qs(wanted));
        if (index >= 0)
            combo->setCurrentIndex(index);
        else if (!wanted.empty())
            combo->setEditText(qs(wanted));
        else
            combo->setCurrentIndex(combo->count() > 0 ? 0 : -1);
    }
    showOutcome(
        status, true,
        fetch.models.empty()
            ? QObject::tr("%1 lists no models: type a model ID.").arg(providerDisplayName(providerName))
            : QObject::tr("%1 offered by %2.")
                  .arg(counted(static_cast<std::int64_t>(fetch.models.size()), QObject::tr("model"),
                               QObject::tr("models")),
                       providerDisplayName(providerName)));
    status->setStyleSheet(QStringLiteral("color: palette(mid);"));
    return true;
}

} // namespace sds::gui
