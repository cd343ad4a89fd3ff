// Status-bar item reflecting the server's state.
import * as vscode from 'vscode';

export type ServerState = 'starting' | 'running' | 'stopped' | 'error';

const LOOK: Record<ServerState, { icon: string; tip: string }> = {
    starting: { icon: '$(sync~spin)', tip: 'kernlint: server starting' },
    running: { icon: '$(check)', tip: 'kernlint: server running' },
    stopped: { icon: '$(circle-slash)', tip: 'kernlint: server stopped' },
    error: { icon: '$(error)', tip: 'kernlint: server failed — click for the log' },
};

export class StatusItem implements vscode.Disposable {
    private readonly item: vscode.StatusBarItem;
    state: ServerState = 'stopped';

    constructor() {
        this.item = vscode.window.createStatusBarItem('kernlint.status', vscode.StatusBarAlignment.Right, 100);
        this.item.name = 'kernlint';
        this.item.command = 'kernlint.showOutput';
        this.set('stopped');
        this.item.show();
    }

    set(state: ServerState, detail?: string): void {
        this.state = state;
        const look = LOOK[state];
        this.item.text = `${look.icon} kernlint`;
        this.item.tooltip = detail ? `${look.tip}\n${detail}` : look.tip;
        this.item.backgroundColor =
            state === 'error' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    }

    dispose(): void {
        this.item.dispose();
    }
}
