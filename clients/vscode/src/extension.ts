// Entry point: wires settings, the server, the status bar and the commands.
import * as vscode from 'vscode';
import { checkWorkspace, DOC_SCHEME, RuleDocProvider, showRuleDoc } from './commands';
import { ServerManager } from './server';
import { SECTION } from './settings';
import { StatusItem } from './status';

const RESTART_DELAY_MS = 500;

let manager: ServerManager | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
    const status = new StatusItem();
    manager = new ServerManager(status);
    const docs = new RuleDocProvider();
    const m = manager;

    context.subscriptions.push(
        status,
        manager,
        vscode.workspace.registerTextDocumentContentProvider(DOC_SCHEME, docs),
        vscode.commands.registerCommand('kernlint.restart', () => m.restart()),
        vscode.commands.registerCommand('kernlint.checkWorkspace', () => checkWorkspace(m)),
        vscode.commands.registerCommand('kernlint.showOutput', () => m.output.show(true)),
        vscode.commands.registerCommand('kernlint.showRuleDoc', (code?: unknown) => showRuleDoc(m, docs, code)),
    );

    // Any kernlint.* change restarts the server, once the user stops typing.
    let timer: NodeJS.Timeout | undefined;
    context.subscriptions.push(
        vscode.workspace.onDidChangeConfiguration((e) => {
            if (!e.affectsConfiguration(SECTION)) {
                return;
            }
            if (timer) {
                clearTimeout(timer);
            }
            timer = setTimeout(() => {
                timer = undefined;
                m.output.appendLine('[client] settings changed: restarting the server');
                void m.restart();
            }, RESTART_DELAY_MS);
        }),
        { dispose: () => timer && clearTimeout(timer) },
    );

    await manager.restart();
}

export async function deactivate(): Promise<void> {
    await manager?.stop();
    manager = undefined;
}
