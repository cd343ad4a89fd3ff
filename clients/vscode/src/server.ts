// Builds and owns the LanguageClient that talks to `kernlint serve`.
import * as vscode from 'vscode';
import {
    ExecuteCommandRegistrationOptions,
    ExecuteCommandRequest,
    LanguageClient,
    LanguageClientOptions,
    RevealOutputChannelOn,
    ServerOptions,
    State,
    TransportKind,
} from 'vscode-languageclient/node';
import { LaunchSettings, readLaunchSettings, readServerSettings, SECTION } from './settings';
import { StatusItem } from './status';

/**
 * Server commands that this extension registers itself (with UI around them).
 * The language client would otherwise register a VS Code command for every
 * command the server lists, and two registrations of one id fail.
 */
export const OWN_COMMANDS = new Set(['kernlint.checkWorkspace', 'kernlint.showRuleDoc', 'kernlint.restart']);

export class ServerManager implements vscode.Disposable {
    client: LanguageClient | undefined;
    readonly output: vscode.OutputChannel;
    readonly trace: vscode.OutputChannel;
    private busy: Promise<void> = Promise.resolve();

    constructor(private readonly status: StatusItem) {
        this.output = vscode.window.createOutputChannel('kernlint');
        this.trace = vscode.window.createOutputChannel('kernlint (trace)');
    }

    /** Serialise start/stop so that overlapping restarts never race. */
    restart(): Promise<void> {
        this.busy = this.busy.then(() => this.doRestart()).catch(() => undefined);
        return this.busy;
    }

    stop(): Promise<void> {
        this.busy = this.busy.then(() => this.doStop()).catch(() => undefined);
        return this.busy;
    }

    private async doStop(): Promise<void> {
        const c = this.client;
        this.client = undefined;
        if (c) {
            try {
                await c.stop(2000);
            } catch (e) {
                this.output.appendLine(`[client] stop failed: ${String(e)}`);
            }
            await c.dispose(1000).catch(() => undefined);
        }
        this.status.set('stopped');
    }

    private async doRestart(): Promise<void> {
        await this.doStop();
        const launch = readLaunchSettings();
        this.output.appendLine(
            `[client] starting ${launch.command} ${launch.args.join(' ')}` + (launch.cwd ? ` (cwd ${launch.cwd})` : ''),
        );
        const client = this.create(launch);
        this.client = client;
        this.status.set('starting', `${launch.command} ${launch.args.join(' ')}`);
        client.onDidChangeState((e) => {
            if (this.client !== client) {
                return;
            }
            if (e.newState === State.Running) {
                const info = client.initializeResult?.serverInfo;
                this.status.set('running', info ? `${info.name} ${info.version ?? ''}` : undefined);
            } else if (e.newState === State.Starting) {
                this.status.set('starting');
            } else if (this.status.state !== 'error') {
                this.status.set('stopped');
            }
        });
        try {
            await client.start();
        } catch (e) {
            this.status.set('error', String(e));
            this.output.appendLine(`[client] could not start the server: ${String(e)}`);
            const open = 'Open Settings';
            const log = 'Show Output';
            void vscode.window
                .showErrorMessage(
                    `kernlint: could not start "${launch.command}". Set kernlint.server.path to the kernlint executable.`,
                    open,
                    log,
                )
                .then((choice) => {
                    if (choice === open) {
                        void vscode.commands.executeCommand('workbench.action.openSettings', 'kernlint.server');
                    } else if (choice === log) {
                        this.output.show();
                    }
                });
        }
    }

    private create(launch: LaunchSettings): LanguageClient {
        const serverOptions: ServerOptions = {
            command: launch.command,
            args: launch.args,
            transport: TransportKind.stdio,
            options: { cwd: launch.cwd, env: { ...process.env } },
        };
        const clientOptions: LanguageClientOptions = {
            documentSelector: [
                { scheme: 'file', language: 'c' },
                { scheme: 'untitled', language: 'c' },
            ],
            outputChannel: this.output,
            traceOutputChannel: this.trace,
            revealOutputChannelOn: RevealOutputChannelOn.Never,
            initializationOptions: readServerSettings(),
            middleware: {
                workspace: {
                    // Answer the "kernlint" section with the cleaned-up
                    // settings object (same shape as initializationOptions);
                    // anything else goes to the default handler.
                    configuration: async (params, token, next) => {
                        const fallback = await next(params, token);
                        if (!Array.isArray(fallback)) {
                            return fallback;
                        }
                        return params.items.map((item, i) => {
                            if (item.section !== SECTION) {
                                return fallback[i];
                            }
                            const scope = item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined;
                            return readServerSettings(scope);
                        });
                    },
                },
            },
        };
        const client = new LanguageClient(SECTION, 'kernlint', serverOptions, clientOptions);
        const exec = client.getFeature(ExecuteCommandRequest.method);
        const register = exec.register.bind(exec);
        exec.register = (data) => {
            const opts: ExecuteCommandRegistrationOptions = {
                ...data.registerOptions,
                commands: data.registerOptions.commands.filter((c) => !OWN_COMMANDS.has(c)),
            };
            register({ ...data, registerOptions: opts });
        };
        return client;
    }

    dispose(): void {
        void this.stop();
        this.output.dispose();
        this.trace.dispose();
    }
}
