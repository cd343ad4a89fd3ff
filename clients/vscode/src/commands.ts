// The kernlint.* commands.
import * as vscode from 'vscode';
import { ExecuteCommandRequest, WorkDoneProgress, WorkDoneProgressBegin, WorkDoneProgressReport } from 'vscode-languageclient/node';
import { ServerManager } from './server';

/** Rule families the server knows; offered even before any diagnostic shows up. */
const KNOWN_CODES: Array<[string, string]> = [
    ['KL101', 'Resource leaked on an error path'],
    ['KL201', 'Lock still held at return'],
    ['KL301', 'Reference count leaked'],
    ['KA501', 'Sleeping call in atomic context'],
];

export const DOC_SCHEME = 'kernlint-doc';

/** Read-only documents holding rule docs returned by the server. */
export class RuleDocProvider implements vscode.TextDocumentContentProvider {
    private readonly docs = new Map<string, string>();
    private readonly changed = new vscode.EventEmitter<vscode.Uri>();
    readonly onDidChange = this.changed.event;

    put(code: string, markdown: string): vscode.Uri {
        const uri = vscode.Uri.from({ scheme: DOC_SCHEME, path: `/${code}.md` });
        this.docs.set(uri.toString(), markdown);
        this.changed.fire(uri);
        return uri;
    }

    provideTextDocumentContent(uri: vscode.Uri): string {
        return this.docs.get(uri.toString()) ?? '';
    }
}

function running(manager: ServerManager) {
    const c = manager.client;
    if (!c || !c.isRunning()) {
        void vscode.window.showWarningMessage('kernlint: the server is not running (see "kernlint: Show Output").');
        return undefined;
    }
    return c;
}

function codeOf(d: vscode.Diagnostic): string | undefined {
    const c = d.code;
    if (c === undefined) {
        return undefined;
    }
    return typeof c === 'object' ? String(c.value) : String(c);
}

export async function checkWorkspace(manager: ServerManager): Promise<void> {
    const client = running(manager);
    if (!client) {
        return;
    }
    // Client-created progress token: the server reports $/progress on it and
    // we show it as a cancellable notification.
    const token = `kernlint-check-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
    await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'kernlint', cancellable: true },
        async (progress, cancel) => {
            progress.report({ message: 'checking workspace…' });
            let last = 0;
            const sub = client.onProgress(WorkDoneProgress.type, token, (v) => {
                if (v.kind === 'end') {
                    return;
                }
                const b = v as WorkDoneProgressBegin | WorkDoneProgressReport;
                const msg = [('title' in b ? b.title : undefined), b.message].filter(Boolean).join(': ');
                let increment: number | undefined;
                if (typeof b.percentage === 'number') {
                    increment = Math.max(0, b.percentage - last);
                    last = b.percentage;
                }
                progress.report({ message: msg || undefined, increment });
            });
            const src = new vscode.CancellationTokenSource();
            cancel.onCancellationRequested(() => src.cancel());
            try {
                await client.sendRequest(
                    ExecuteCommandRequest.type,
                    { command: 'kernlint.checkWorkspace', arguments: [], workDoneToken: token },
                    src.token,
                );
            } catch (e) {
                if (!src.token.isCancellationRequested) {
                    void vscode.window.showErrorMessage(`kernlint: workspace check failed: ${String(e)}`);
                }
            } finally {
                sub.dispose();
                src.dispose();
            }
        },
    );
}

export async function showRuleDoc(manager: ServerManager, docs: RuleDocProvider, code?: unknown): Promise<void> {
    const client = running(manager);
    if (!client) {
        return;
    }
    let chosen = typeof code === 'string' ? code : undefined;
    if (!chosen) {
        const seen = new Map<string, string>(KNOWN_CODES);
        for (const [, diags] of vscode.languages.getDiagnostics()) {
            for (const d of diags) {
                const c = d.source === 'kernlint' ? codeOf(d) : undefined;
                if (c && !seen.has(c)) {
                    seen.set(c, d.message.split('\n')[0]);
                }
            }
        }
        const items = [...seen.entries()]
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([label, detail]) => ({ label, description: detail }));
        const pick = await vscode.window.showQuickPick(items, {
            title: 'kernlint: rule documentation',
            placeHolder: 'Rule code (e.g. KL101)',
            matchOnDescription: true,
        });
        chosen = pick?.label;
    }
    if (!chosen) {
        return;
    }
    let markdown: unknown;
    try {
        markdown = await client.sendRequest(ExecuteCommandRequest.type, {
            command: 'kernlint.showRuleDoc',
            arguments: [chosen],
        });
    } catch (e) {
        void vscode.window.showErrorMessage(`kernlint: no documentation for ${chosen}: ${String(e)}`);
        return;
    }
    if (typeof markdown !== 'string' || !markdown) {
        void vscode.window.showWarningMessage(`kernlint: the server has no documentation for ${chosen}.`);
        return;
    }
    const uri = docs.put(chosen, markdown);
    try {
        await vscode.commands.executeCommand('markdown.showPreview', uri);
    } catch {
        const doc = await vscode.workspace.openTextDocument(uri);
        await vscode.languages.setTextDocumentLanguage(doc, 'markdown');
        await vscode.window.showTextDocument(doc, { preview: true });
    }
}
