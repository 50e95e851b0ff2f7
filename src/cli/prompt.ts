import { createInterface } from 'node:readline';

/** Reads a secret from the terminal without echoing it. */
export async function readSecretFromPrompt(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  const output = rl as unknown as { _writeToOutput: (s: string) => void };
  let asked = false;
  output._writeToOutput = (s: string) => {
    // Show the question once, nothing of what is typed.
    if (!asked) {
      process.stdout.write(s);
      asked = true;
    }
  };
  try {
    const answer = await new Promise<string>((resolve) => rl.question(question, resolve));
    process.stdout.write('\n');
    return answer.trim();
  } finally {
    rl.close();
  }
}
