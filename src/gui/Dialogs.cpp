#include "gui/Dialogs.h"

#include "gui/Format.h"

#include <QCheckBox>
#include <QDesktopServices>
#include <QFileDialog>
#include <QInputDialog>
#include <QMessageBox>
#include <QPushButton>
#include <QUrl>

namespace sds::gui {
namespace {

Dialogs*& installed() {
    static Dialogs* dialogs = nullptr;
    return dialogs;
}

} // namespace

Dialogs& Dialogs::current() {
    static Dialogs real;
    return installed() ? *installed() : real;
}

void Dialogs::install(Dialogs* dialogs) {
    installed() = dialogs;
}

QString Dialogs::openFile(QWidget* parent, const QString& caption, const QString& folder,
                          const QString& filter) {
    return QFileDialog::getOpenFileName(parent, caption, folder, filter);
}

QStringList Dialogs::openFiles(QWidget* parent, const QString& caption, const QString& folder,
                               const QString& filter) {
    return QFileDialog::getOpenFileNames(parent, caption, folder, filter);
}

QString Dialogs::saveFile(QWidget* parent, const QString& caption, const QString& suggestedPath,
                          const QString& filter) {
    return QFileDialog::getSaveFileName(parent, caption, suggestedPath, filter);
}

QString Dialogs::folder(QWidget* parent, const QString& caption, const QString& start) {
    return QFileDialog::getExistingDirectory(parent, caption, start);
}

std::optional<QString> Dialogs::text(QWidget* parent, const QString& title, const QString& label,
                                     const QString& initial) {
    bool ok = false;
    const QString value = QInputDialog::getText(parent, title, label, QLineEdit::Normal, initial, &ok);
    if (!ok)
        return std::nullopt;
    return value;
}

Dialogs::DeleteAnswer Dialogs::confirmDelete(QWidget* parent, const QString& runName, const QString& files) {
    QMessageBox box(QMessageBox::Question, QObject::tr("Delete generation"),
                    QObject::tr("Delete \"%1\" from the Generations list?").arg(runName),
                    QMessageBox::NoButton, parent);
    auto* deleteButton = box.addButton(QObject::tr("Delete"), QMessageBox::DestructiveRole);
    box.addButton(QMessageBox::Cancel);
    box.setDefaultButton(QMessageBox::Cancel);
    QCheckBox deleteFiles(QObject::tr("Also delete its files (%1)").arg(files));
    if (!files.isEmpty())
        box.setCheckBox(&deleteFiles);
    box.exec();
    return {box.clickedButton() == deleteButton, deleteFiles.isChecked()};
}

Dialogs::CloseAnswer Dialogs::closeDuringRuns(QWidget* parent, int activeRuns) {
    QMessageBox box(
        QMessageBox::Question, QObject::tr("Generation running"),
        QObject::tr("%1 still running. Cancel (the rows that arrived are kept), or keep running in "
                    "the background until done? Open Synthetic Data Studio again (or use its icon in the "
                    "system tray) to bring this window back.")
            .arg(counted(activeRuns, QObject::tr("generation is"), QObject::tr("generations are"))),
        QMessageBox::NoButton, parent);
    auto* cancelRuns = box.addButton(QObject::tr("Cancel and close"), QMessageBox::DestructiveRole);
    auto* keepRunning = box.addButton(QObject::tr("Keep running in background"), QMessageBox::AcceptRole);
    box.addButton(QObject::tr("Don't close"), QMessageBox::RejectRole);
    box.setDefaultButton(keepRunning);
    box.exec();
    if (box.clickedButton() == cancelRuns)
        return CloseAnswer::CancelRuns;
    if (box.clickedButton() == keepRunning)
        return CloseAnswer::KeepRunning;
    return CloseAnswer::StayOpen;
}

void Dialogs::openFolder(const QString& path) {
    QDesktopServices::openUrl(QUrl::fromLocalFile(path));
}

} // namespace sds::gui
