import type { Preview } from '@storybook/react-vite';
import '../stories/stories.css';

const preview: Preview = {
  parameters: {
    // The components are designed for a black page; full-screen so the
    // floating panel and the canvas sit where an app would put them.
    layout: 'fullscreen',
    backgrounds: { disable: true },
    controls: { expanded: true },
  },
};

export default preview;
