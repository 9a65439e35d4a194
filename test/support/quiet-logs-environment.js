// The suite's test environment: Node's, plus a place where worker logs wait (dev/stack/local-stack.ts puts the SDK
// Runtime's log lines there). Faults injected on purpose make warnings and errors that would bury the results, so a
// test's logs are printed only when it fails; BRIDGEKEEPER_TEST_LOGS=1 prints every line as it comes instead.
const { TestEnvironment } = require('jest-environment-node');

/** Enough for the story of one failing test; older lines are counted, not kept. */
const MAX_HELD_LINES = 2000;

class QuietLogsEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.testPath = context.testPath;
    this.held = [];
    this.dropped = 0;
    if (process.env.BRIDGEKEEPER_TEST_LOGS !== '1') {
      this.global.__bridgekeeperTestLogs = {
        push: (line) => {
          this.held.push(line);
          if (this.held.length > MAX_HELD_LINES) {
            this.held.shift();
            this.dropped += 1;
          }
        },
      };
    }
  }

  handleTestEvent(event) {
    // Logs from beforeAll and between tests go with the next test to finish.
    if (event.name === 'test_done') {
      if (event.test.errors.length > 0) this.print(`"${fullName(event.test)}" failed`);
      this.forget();
    } else if (event.name === 'hook_failure') {
      this.print(`${event.hook.type} failed`);
      this.forget();
    }
  }

  print(what) {
    if (this.held.length === 0) return;
    const dropped = this.dropped > 0 ? ` (${this.dropped} earlier lines dropped)` : '';
    process.stderr.write(`\nWorker logs until ${what}, in ${this.testPath}${dropped}:\n${this.held.join('\n')}\n\n`);
  }

  forget() {
    this.held = [];
    this.dropped = 0;
  }
}

function fullName(test) {
  const names = [];
  for (let block = test; block && block.name !== 'ROOT_DESCRIBE_BLOCK'; block = block.parent) names.unshift(block.name);
  return names.join(' › ');
}

module.exports = QuietLogsEnvironment;
