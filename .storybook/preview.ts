import type { Preview } from '@storybook/react-vite';
import '../stories/stories.css';

const preview: Preview = {
  parameters: {
    // The components are designed for a black page; full-screen so the
    // floating panel and the canvas sit where an app would put them.
    layout: 'fullscreen',
    backgrounds: { disable: true },
    controls: { expanded: true },
    options: {
      // Storybook opens on the first story: the live playground, then the
      // components it is made of. Story names keep their file order.
      storySort: { includeNames: true, order: ['Playground', ['Connected', '*'], 'Controls', 'StreamCanvas'] },
    },
  },
};

export default preview;
