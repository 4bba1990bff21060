// Size limits for src: no file over 400 lines (the drizzle schema excepted), no function over 80 lines.
// Usage: node scripts/check-size.mjs [root]   (root defaults to the current folder)
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';

const MAX_FILE_LINES = 400;
const MAX_FUNCTION_LINES = 80;
const FILE_EXCEPTIONS = new Set(['src/db/schema.ts']);

const sourceFiles = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : [],
  );

const isFunction = (n) =>
  ts.isFunctionDeclaration(n) ||
  ts.isFunctionExpression(n) ||
  ts.isArrowFunction(n) ||
  ts.isMethodDeclaration(n) ||
  ts.isConstructorDeclaration(n) ||
  ts.isGetAccessorDeclaration(n) ||
  ts.isSetAccessorDeclaration(n);

/** A readable name for a function: its own, or the variable, property or call it sits in. */
function nameOf(node) {
  if (node.name) return node.name.getText();
  const parent = node.parent;
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) && parent.name)
    return parent.name.getText();
  if (ts.isCallExpression(parent)) return `callback of ${parent.expression.getText().slice(0, 40)}(…)`;
  return '(anonymous)';
}

export function checkSize(root) {
  const problems = [];
  for (const file of sourceFiles(join(root, 'src'))) {
    const path = relative(root, file).split('\\').join('/');
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n').length;
    if (lines > MAX_FILE_LINES && !FILE_EXCEPTIONS.has(path)) {
      problems.push(`✖ file over ${MAX_FILE_LINES} lines: ${path} (${lines})`);
    }
    const kind = file.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
    const visit = (node) => {
      if (isFunction(node)) {
        const start = source.getLineAndCharacterOfPosition(node.getStart()).line;
        const length = source.getLineAndCharacterOfPosition(node.getEnd()).line - start + 1;
        if (length > MAX_FUNCTION_LINES) {
          problems.push(
            `✖ function over ${MAX_FUNCTION_LINES} lines: ${path}:${start + 1} ${nameOf(node)} (${length})`,
          );
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const problems = checkSize(resolve(process.argv[2] ?? '.'));
  if (problems.length > 0) {
    console.error(`${problems.join('\n')}\n\n${problems.length} size limit violation(s).`);
    process.exitCode = 1;
  } else console.log('size limits: ok');
}
