// Drives code-server (VS Code in the browser) in headless Chromium with
// playwright-core: open the example, wait for the kernlint diagnostic, apply
// the "Add cleanup label" quick fix, save, and report as JSON on stdout.
//
// Input: env KL_CONFIG, a JSON object:
//   url, file (name to Quick Open), savedPath (its path on disk), chromium,
//   profile (fresh Chromium profile dir), artifacts (screenshot dir),
//   rule ("KL101"), title ("Add cleanup label"), span [start, end) and
//   fixedSpan: 1-based lines of the target function before / after the fix,
//   timeoutMs.
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const cfg = JSON.parse(process.env.KL_CONFIG);
const report = { steps: [], ok: false };
const T = cfg.timeoutMs || 90000;

function step(s) {
    report.steps.push(`${new Date().toISOString().slice(11, 23)} ${s}`);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function shot(page, name) {
    const p = path.join(cfg.artifacts, name);
    await page.screenshot({ path: p });
    (report.screenshots = report.screenshots || []).push(p);
}

async function problemRows(page) {
    return page.$$eval('.markers-panel .monaco-list-row', (rows) =>
        rows.map((r) => ({ text: (r.textContent || '').replace(/\u00a0/g, ' '), aria: r.getAttribute('aria-label') || '' })),
    );
}

function lineOf(row) {
    const m = /\[Ln (\d+), Col (\d+)\]/.exec(row.text) || /line (\d+) column (\d+)/i.exec(row.aria);
    return m ? Number(m[1]) : undefined;
}

function inSpan(line, span) {
    return line !== undefined && line > span[0] && line <= span[1];
}

async function viewLines(page) {
    return page.$$eval('.editor-group-container.active .view-lines .view-line', (ls) =>
        ls
            .map((l) => ({ top: parseFloat(l.style.top) || 0, text: (l.textContent || '').replace(/\u00a0/g, ' ') }))
            .sort((a, b) => a.top - b.top)
            .map((l) => l.text),
    );
}

async function waitFile(pred, ms) {
    const end = Date.now() + ms;
    while (Date.now() < end) {
        try {
            const t = fs.readFileSync(cfg.savedPath, 'utf8');
            if (pred(t)) {
                return t;
            }
        } catch {
            /* not yet */
        }
        await sleep(200);
    }
    return undefined;
}

async function main() {
    // A fresh profile directory: nothing remembered between runs.
    const context = await chromium.launchPersistentContext(cfg.profile, {
        executablePath: cfg.chromium,
        headless: true,
        viewport: { width: 1400, height: 860 },
        args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
        ],
    });
    const page = context.pages()[0] || (await context.newPage());
    page.setDefaultTimeout(T);
    try {
        await page.goto(cfg.url);
        await page.waitForSelector('.monaco-workbench .part.statusbar');
        step('workbench loaded');
        await page.click('.part.editor');

        // Quick Open the file.
        const original = fs.readFileSync(cfg.savedPath, 'utf8');
        await page.keyboard.press('Control+P');
        await page.waitForSelector('.quick-input-widget input');
        await page.keyboard.type(cfg.file);
        await page.waitForSelector(`.quick-input-list .monaco-list-row:has-text("${cfg.file}")`);
        await page.keyboard.press('Enter');
        await page.waitForSelector(`.tab:has-text("${cfg.file}")`);
        step('file opened');

        // The diagnostic: a squiggle in the editor and a Problems row with the code.
        await page.waitForSelector('.squiggly-warning, .squiggly-error, .squiggly-info');
        step('squiggle shown');
        await page.keyboard.press('Control+Shift+M');
        await page.waitForSelector(`.markers-panel .monaco-list-row:has-text("${cfg.rule}")`);
        await sleep(500);
        let rows = await problemRows(page);
        report.problems = rows.map((r) => r.text);
        const ruleRows = rows.filter((r) => r.text.includes(cfg.rule));
        let target = ruleRows.find((r) => inSpan(lineOf(r), cfg.span));
        if (!target) {
            throw new Error(`no ${cfg.rule} problem in lines ${cfg.span[0] + 1}-${cfg.span[1]}: ${JSON.stringify(report.problems)}`);
        }
        report.problem = target.text;
        step(`problem: ${target.text}`);
        await shot(page, 'vscode-1-diagnostic.png');

        // Go to it: Enter on the Problems row selects the diagnostic's range in the editor.
        const idx = rows.indexOf(target);
        const rowEl = (await page.$$('.markers-panel .monaco-list-row'))[idx];
        await rowEl.click();
        await page.keyboard.press('Enter');
        await sleep(700);

        // Quick fix menu.
        await page.keyboard.press('Control+.');
        await page.waitForSelector('.action-widget .monaco-list-row');
        await page.waitForSelector(`.action-widget .monaco-list-row:has-text("${cfg.title}")`);
        report.actions = await page.$$eval('.action-widget .monaco-list-row', (rs) =>
            rs.map((r) => (r.textContent || '').replace(/\u00a0/g, ' ').trim()),
        );
        step(`actions: ${JSON.stringify(report.actions)}`);
        await shot(page, 'vscode-2-quickfix.png');
        // Keyboard, as a person would: move the focus to the row, then Enter.
        let chosen = false;
        for (let i = 0; i < 12 && !chosen; i++) {
            const focused = await page.$eval('.action-widget .monaco-list-row.focused', (r) => r.textContent || '')
                .catch(() => '');
            if (focused.includes(cfg.title)) {
                chosen = true;
                break;
            }
            await page.keyboard.press('ArrowDown');
            await sleep(100);
        }
        if (!chosen) {
            throw new Error(`could not focus "${cfg.title}" in the quick-fix menu`);
        }
        await page.keyboard.press('Enter');
        step('fix chosen');

        // The edit arrives after codeAction/resolve; then save.
        const changed = async () => (await viewLines(page)).join('\n') !== report.before;
        report.before = (await viewLines(page)).join('\n');
        const end = Date.now() + T;
        while (!(await changed()) && Date.now() < end) {
            await sleep(200);
        }
        await page.click('.editor-group-container.active .view-lines');
        await page.keyboard.press('Control+S');
        let saved = await waitFile((t) => t !== original, 15000);
        if (saved === undefined) {
            step('Ctrl+S did not save; using the command palette');
            await page.keyboard.press('Control+Shift+P');
            await page.waitForSelector('.quick-input-widget input');
            await page.keyboard.type('File: Save');
            await page.waitForSelector('.quick-input-list .monaco-list-row');
            await page.keyboard.press('Enter');
            saved = await waitFile((t) => t !== original, 15000);
        }
        report.saved = saved !== undefined;
        report.text = saved;
        report.view = await viewLines(page);
        step(`saved: ${report.saved}`);

        // The verified fix makes the finding go away after re-analysis.
        const cEnd = Date.now() + T;
        report.cleared = false;
        while (Date.now() < cEnd) {
            rows = await problemRows(page);
            if (!rows.some((r) => r.text.includes(cfg.rule) && inSpan(lineOf(r), cfg.fixedSpan))) {
                report.cleared = true;
                break;
            }
            await sleep(300);
        }
        report.problemsAfter = rows.map((r) => r.text);
        step(`cleared: ${report.cleared}`);
        await shot(page, 'vscode-3-fixed.png');

        // Status bar: the server is running.
        report.status = await page.$eval('.statusbar-item:has-text("kernlint")', (e) => ({
            id: e.id,
            text: (e.textContent || '').trim(),
            check: !!e.querySelector('.codicon-check'),
        })).catch((e) => ({ error: String(e) }));
        step(`status: ${JSON.stringify(report.status)}`);

        // kernlint: Show Rule Documentation… -> KL101 -> a markdown preview.
        await page.keyboard.press('Control+Shift+P');
        await page.waitForSelector('.quick-input-widget input');
        await page.keyboard.type('kernlint: Show Rule Documentation');
        await page.waitForSelector('.quick-input-list .monaco-list-row:has-text("Show Rule Documentation")');
        await page.keyboard.press('Enter');
        await page.waitForSelector(`.quick-input-list .monaco-list-row:has-text("${cfg.rule}")`);
        await page.keyboard.type(cfg.rule);
        await sleep(300);
        await page.keyboard.press('Enter');
        await page.waitForSelector(`.tab:has-text("${cfg.rule}")`);
        report.docTab = await page.$eval(`.tab:has-text("${cfg.rule}")`, (e) => (e.textContent || '').trim());
        step(`rule doc tab: ${report.docTab}`);
        // The preview is a webview (nested iframes): look for the doc's text in any frame.
        report.docShown = false;
        const dEnd = Date.now() + 20000;
        while (!report.docShown && Date.now() < dEnd) {
            for (const f of page.frames().filter((fr) => fr !== page.mainFrame())) {
                const txt = await f.evaluate(() => (document.body ? document.body.innerText : '')).catch(() => '');
                if (txt.includes(cfg.rule) && txt.length > 40) {
                    report.docShown = true;
                    report.docText = txt.slice(0, 300);
                    break;
                }
            }
            await sleep(300);
        }
        report.frames = page.frames().map((f) => f.url().slice(0, 300));
        step(`rule doc rendered: ${report.docShown}`);
        await shot(page, 'vscode-4-ruledoc.png');
        report.ok = true;
    } catch (e) {
        report.error = String(e && e.stack ? e.stack : e);
        try {
            await shot(page, 'vscode-error.png');
        } catch {
            /* ignore */
        }
    } finally {
        await context.close();
    }
}

const killer = setTimeout(() => {
    report.error = 'driver timed out';
    process.stdout.write(JSON.stringify(report));
    process.exit(2);
}, 4 * T);
main().catch((e) => {
    report.error = String(e && e.stack ? e.stack : e);
}).then(() => {
    clearTimeout(killer);
    process.stdout.write(JSON.stringify(report));
    process.exit(report.ok ? 0 : 1);
});
