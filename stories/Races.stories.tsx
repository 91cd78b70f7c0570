import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import { expectListMatchesServer } from './support/assertions';
import { mockServerIn } from './support/mockServer';
import { RaceChat } from './support/RaceChat';

const meta = {
  title: 'seqline/Races',
  component: RaceChat,
  tags: ['autodocs'],
  argTypes: {
    latency: { control: { type: 'range', min: 0, max: 500, step: 10 } },
    seed: { control: { type: 'number', min: 1, step: 1 } },
  },
  args: {
    latency: 0,
    echoBeforeResponse: false,
    duplicates: false,
    drops: false,
    staleHistory: false,
    reorder: false,
    seed: 1,
  },
  parameters: {
    docs: {
      description: {
        component:
          'Every race seqline is built for, driven by the chaos options of `seqline/msw` (see docs/msw.md). Turn them on in the Controls panel, send messages, refresh: the list converges to the server’s order every time.',
      },
    },
  },
} satisfies Meta<typeof RaceChat>;

export default meta;
type Story = StoryObj<typeof meta>;

/** Every race off: start here and switch them on one by one in Controls. */
export const Playground: Story = {};

/**
 * Every race on at once. The play function sends a burst, refetches history
 * while replies stream, refreshes, and checks the list against the server
 * after each step.
 */
export const EverythingAtOnce: Story = {
  args: {
    latency: 120,
    echoBeforeResponse: true,
    duplicates: true,
    drops: true,
    staleHistory: true,
    reorder: true,
    seed: 7,
  },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    const server = mockServerIn(canvasElement);
    await waitFor(() => expect(canvasElement.querySelectorAll('[data-sequence]')).toHaveLength(2));
    await userEvent.click(canvas.getByRole('button', { name: 'Send 5 at once' }));
    await userEvent.type(canvas.getByLabelText('Message'), 'And one more');
    await userEvent.click(canvas.getByRole('button', { name: 'Send' }));
    await userEvent.click(canvas.getByRole('button', { name: 'Refetch history' }));
    await waitFor(() => expect(server.truth()).toHaveLength(2 + 6 * 2), { timeout: 10_000 });
    await userEvent.click(canvas.getByRole('button', { name: 'Refetch history' }));
    await expectListMatchesServer(canvasElement, server, 20_000);

    await userEvent.click(canvas.getByRole('button', { name: 'Refresh' }));
    await expectListMatchesServer(canvasElement, server, 20_000);
    await expect(server.truth().map((m) => m.sequence)).toEqual(
      Array.from({ length: 14 }, (_, i) => i + 1),
    );
  },
};
