/** Which React this project runs on: the jsdom project is React 19, jsdom-react18 is React 18. */
import { version } from 'react';
import { version as domVersion } from 'react-dom';
import { expect, it } from 'vitest';

it('runs on the React this project is for, with a matching react-dom', () => {
  const project = (globalThis as { __vitest_worker__?: { ctx?: { projectName?: string } } })
    .__vitest_worker__?.ctx?.projectName;
  const major = project === 'jsdom-react18' ? '18.' : '19.';
  expect(version.startsWith(major)).toBe(true);
  expect(domVersion).toBe(version);
});
