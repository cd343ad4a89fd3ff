// Typed view of the kernlint.* settings and their conversion into the
// object the server receives (initializationOptions and the "kernlint"
// section of workspace/configuration).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';

export const SECTION = 'kernlint';

export type Severity = 'error' | 'warning' | 'information' | 'hint';

export interface LlmSettings {
    enabled: boolean;
    model: string;
    apiBase: string;
    timeout: number;
    maxTokens: number;
    temperature: number;
    candidates: number;
    allowedHosts: string[];
}

/** What the server is sent. Field names are the server's (camelCase). */
export interface ServerSettings {
    select: string[];
    ignore: string[];
    severity: Record<string, Severity>;
    debounceMs: number;
    llm: LlmSettings;
}

export interface LaunchSettings {
    command: string;
    args: string[];
    cwd: string | undefined;
}

export function readServerSettings(scope?: vscode.ConfigurationScope): ServerSettings {
    const c = vscode.workspace.getConfiguration(SECTION, scope);
    return {
        select: c.get<string[]>('select', []),
        ignore: c.get<string[]>('ignore', []),
        severity: c.get<Record<string, Severity>>('severity', {}),
        debounceMs: c.get<number>('debounceMs', 300),
        llm: {
            enabled: c.get<boolean>('llm.enabled', false),
            model: c.get<string>('llm.model', ''),
            apiBase: c.get<string>('llm.apiBase', ''),
            timeout: c.get<number>('llm.timeout', 30),
            maxTokens: c.get<number>('llm.maxTokens', 1024),
            temperature: c.get<number>('llm.temperature', 0.2),
            candidates: c.get<number>('llm.candidates', 3),
            allowedHosts: c.get<string[]>('llm.allowedHosts', ['127.0.0.1', 'localhost']),
        },
    };
}

function expand(p: string, folder: string | undefined): string {
    let out = p;
    if (folder) {
        out = out.replace(/\$\{workspaceFolder\}/g, folder);
    }
    if (out === '~' || out.startsWith('~/')) {
        out = path.join(os.homedir(), out.slice(1));
    }
    return out;
}

function isExecutable(p: string): boolean {
    try {
        fs.accessSync(p, fs.constants.X_OK);
        return fs.statSync(p).isFile();
    } catch {
        return false;
    }
}

/**
 * Which program to start. An explicit kernlint.server.path wins; otherwise
 * the first workspace folder's .venv/bin/kernlint, otherwise `kernlint`
 * looked up in PATH by the operating system.
 */
export function readLaunchSettings(): LaunchSettings {
    const c = vscode.workspace.getConfiguration(SECTION);
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const configured = c.get<string>('server.path', '').trim();
    const args = c.get<string[]>('server.args', ['serve']).map((a) => expand(a, folder));
    let command: string;
    if (configured) {
        command = expand(configured, folder);
    } else {
        const venv = folder ? path.join(folder, '.venv', 'bin', 'kernlint') : undefined;
        command = venv && isExecutable(venv) ? venv : 'kernlint';
    }
    return { command, args, cwd: folder };
}
