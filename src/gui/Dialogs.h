#pragma once

#include <QString>
#include <QStringList>
#include <optional>

class QWidget;

namespace sds::gui {

// Every modal question the app asks, behind one seam: tests install their own answers so they never
// block on a dialog, and never open a file manager.
class Dialogs {
public:
    virtual ~Dialogs() = default;

    // The installed instance, or the one that shows real dialogs.
    static Dialogs& current();
    // nullptr restores the real dialogs. The caller keeps ownership.
    static void install(Dialogs* dialogs);

    [[nodiscard]] virtual QString openFile(QWidget* parent, const QString& caption, const QString& folder,
                                           const QString& filter);
    [[nodiscard]] virtual QStringList openFiles(QWidget* parent, const QString& caption,
                                                const QString& folder, const QString& filter);
    [[nodiscard]] virtual QString saveFile(QWidget* parent, const QString& caption,
                                           const QString& suggestedPath, const QString& filter);
    [[nodiscard]] virtual QString folder(QWidget* parent, const QString& caption, const QString& start);
    [[nodiscard]] virtual std::optional<QString> text(QWidget* parent, const QString& title,
                                                      const QString& label, const QString& initial);

    struct DeleteAnswer {
        bool confirmed = false;
        bool deleteFiles = false;
    };
    [[nodiscard]] virtual DeleteAnswer confirmDelete(QWidget* parent, const QString& runName,
                                                     const QString& files);

    enum class CloseAnswer { CancelRuns, KeepRunning, StayOpen };
    [[nodiscard]] virtual CloseAnswer closeDuringRuns(QWidget* parent, int activeRuns);

    virtual void openFolder(const QString& path);
};

} // namespace sds::gui
