/** Code blocks of a markdown file, with the `<!-- docs-test: … -->` comments before each (see docs.test.ts). */

export interface Block {
  /** 1-based line of the opening fence. */
  line: number;
  language: 'ts' | 'tsx';
  code: string;
  /** Hidden code from `<!-- docs-test: setup … -->`. */
  setup: string;
  skip?: string;
  continues: boolean;
  needs: string[];
}

/** What runs as one module. */
export interface Group {
  line: number;
  language: 'ts' | 'tsx';
  code: string;
  skip?: string;
  needs: string[];
  /** It declares tests: they are collected, not run inside one. */
  declaresTests: boolean;
}

const DIRECTIVE = /^<!-- docs-test: ?(skip|setup|continues|needs)\b:?([\s\S]*?)-->$/;

export function extractBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  let pending: { kind: string; body: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('<!-- docs-test')) {
      let text = line;
      while (!text.trimEnd().endsWith('-->') && i + 1 < lines.length) text += `\n${lines[++i]}`;
      const match = DIRECTIVE.exec(text.trim());
      if (!match) throw new Error(`line ${i + 1}: unknown docs-test comment: ${text}`);
      pending.push({ kind: match[1]!, body: match[2]!.trim() });
      continue;
    }
    const fence = /^```(\S*)\s*$/.exec(line);
    if (!fence) {
      if (line.trim() !== '') pending = [];
      continue;
    }
    const start = i;
    const body: string[] = [];
    while (++i < lines.length && !/^```\s*$/.test(lines[i]!)) body.push(lines[i]!);
    const language = fence[1];
    if (language === 'ts' || language === 'tsx') {
      const skip = pending.find((d) => d.kind === 'skip');
      if (skip && skip.body === '') throw new Error(`line ${start + 1}: a skip must say why`);
      blocks.push({
        line: start + 1,
        language,
        code: body.join('\n'),
        setup: pending
          .filter((d) => d.kind === 'setup')
          .map((d) => d.body)
          .join('\n'),
        ...(skip ? { skip: skip.body } : {}),
        continues: pending.some((d) => d.kind === 'continues'),
        needs: pending.filter((d) => d.kind === 'needs').flatMap((d) => services(d.body, start)),
      });
    } else if (pending.length > 0) {
      throw new Error(
        `line ${start + 1}: docs-test comments before a \`\`\`${language} block, which never runs`,
      );
    }
    pending = [];
  }
  return blocks;
}

export function groupBlocks(blocks: Block[]): Group[] {
  const groups: Group[] = [];
  for (const block of blocks) {
    const code = `${block.setup}\n${block.code}\n`;
    const previous = groups.at(-1);
    if (block.continues) {
      if (!previous) throw new Error(`line ${block.line}: "continues" with no block before it`);
      previous.code += code;
      if (block.language === 'tsx') previous.language = 'tsx';
      previous.needs = [...new Set([...previous.needs, ...block.needs])];
      previous.declaresTests ||= declaresTests(code);
      continue;
    }
    groups.push({
      line: block.line,
      language: block.language,
      code,
      ...(block.skip === undefined ? {} : { skip: block.skip }),
      needs: block.needs,
      declaresTests: declaresTests(code),
    });
  }
  return groups;
}

function declaresTests(code: string): boolean {
  return /(?<![.\w])(it|test|describe|testSequenceAllocator)(\.\w+)*\(/.test(code);
}

const SERVICES = ['postgres', 'mariadb', 'redis'];

function services(list: string, start: number): string[] {
  const names = list.split(/\s+/);
  const unknown = names.filter((name) => !SERVICES.includes(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new Error(`line ${start + 1}: needs ${unknown.join(' ')}: name ${SERVICES.join(', ')}`);
  }
  return names;
}
