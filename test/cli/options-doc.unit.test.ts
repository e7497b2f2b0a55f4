import { expect } from 'chai';
import fs from 'fs';
import path from 'path';
import { DOCUMENTED_SPECS, renderOptionsReference, updateReadme } from '../../src/cli/options-doc';

const README = path.resolve(__dirname, '..', '..', '..', 'README.md');

describe('cli/options-doc', () => {
  it('README.md documents every option of every process exactly as the specs declare them (run `npm run docs`)', () => {
    const readme = fs.readFileSync(README, 'utf8');
    expect(updateReadme(readme) === readme, 'README.md configuration reference is stale: run `npm run docs`').to.equal(true);
  });

  it('lists each key with its default', () => {
    const text = renderOptionsReference();
    for (const { spec } of DOCUMENTED_SPECS) {
      for (const [key, def] of Object.entries(spec)) expect(text).to.contain(`| \`${key}\` | \`${def.default === '' ? '""' : String(def.default)}`);
    }
    expect(text).to.contain('`brokerClusterName`').and.to.contain('`osPageCacheBusyTimeOutMills`');
  });
});
