/**
 * A timed-out cell blocked in `llm_query` ends as soon as the channel frame wakes the bridge call; the IPC
 * interrupt that stops running Python can arrive later (a loaded machine: CI failed once this way). It
 * must not stop the next cell. The test delays those IPC messages on the host side, as a slow machine does.
 */
import { PyodideSandbox, stopAllPyodideSessions } from '../../lambdas/adapters/pyodide';
import type { SandboxSession } from '../../lambdas/core/ports';
import { FakeSubModel, memoryStore, ref } from './pyodide-fakes';

const model = new FakeSubModel(10);
const sandbox = new PyodideSandbox({ documents: memoryStore({ 'mem://a.txt': 'abc' }), subModel: model });
let session: SandboxSession;

/** Deliver the session's IPC interrupts `ms` late (the session's private `ipc` port, wrapped). */
function delayInterrupts(s: SandboxSession, ms: number): void {
  const ipc = (s as unknown as { ipc: { send(msg: { type: string }): void } }).ipc;
  const send = ipc.send.bind(ipc);
  ipc.send = (msg) => (msg.type === 'interrupt' ? void setTimeout(() => send(msg), ms) : send(msg));
}

beforeAll(async () => {
  ({ session } = await sandbox.start({ runId: 'race', documents: [ref('a.txt')], subModelId: 'fake-sub-model', subConcurrency: 2, maxCaptureChars: 10_000 }));
});
afterAll(() => stopAllPyodideSessions());

it.each([5, 60])('a late IPC interrupt (%i ms) does not stop the cell after the timed-out one', async (lateMs) => {
  delayInterrupts(session, lateMs);
  for (let round = 0; round < 4; round++) {
    const slow = await session.execute('slow_reply = llm_query("slow:900")', { timeoutMs: 250 });
    expect(slow.timedOut).toBe(true);
    const next = await session.execute('print(llm_query("after"))\nx = 0\nfor i in range(200000): x += i\nprint(x)', { timeoutMs: 10_000 });
    expect({ stdout: next.stdout, timedOut: next.timedOut }).toEqual({ stdout: 'echo:after\n19999900000\n', timedOut: false });
  }
});
