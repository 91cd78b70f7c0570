import type { Preview } from '@storybook/react-vite';
import { mswLoader } from 'msw-storybook-addon/csf3';
import { mockRouter } from '../stories/support/mockServer';

const preview: Preview = {
  // Starts msw's service worker once. On every (re)render the loader resets the
  // worker to `parameters.msw` in one step: the router that sends each story's
  // requests to that story's own mock server (see stories/support/mockServer.ts).
  loaders: [mswLoader()],
  parameters: {
    msw: [mockRouter],
    layout: 'padded',
    controls: { expanded: true },
  },
};

export default preview;
