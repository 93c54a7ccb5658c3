import type { StorybookConfig } from '@storybook/react-vite';

// Offline by design: no telemetry, no update checks, nothing fetched at build.
const config: StorybookConfig = {
  stories: ['../stories/**/*.stories.tsx'],
  // Strict Mode mounts, unmounts and remounts every story, as it does in
  // apps; the Chromium tests then check StreamCanvas survives that.
  framework: { name: '@storybook/react-vite', options: { strictMode: true } },
  core: { disableTelemetry: true, disableWhatsNewNotifications: true },
  // No "Get started" checklist in the sidebar or the menu: this Storybook is
  // for looking at framestream's components, and opens on the stories
  // themselves (the order in preview.ts puts Playground / Connected first).
  features: { sidebarOnboardingChecklist: false, menuOnboardingChecklist: false },
  async viteFinal(viteConfig) {
    const { mergeConfig } = await import('vite');
    const { default: tailwindcss } = await import('@tailwindcss/vite');
    const { streamWorkerVitePlugin } = await import('../build/stream-worker.mjs');
    return mergeConfig(viteConfig, {
      plugins: [tailwindcss(), streamWorkerVitePlugin()],
      // src/react imports the client by its package name; use the source.
      resolve: { alias: { 'framestream/client': new URL('../src/client/index.ts', import.meta.url).pathname } },
      build: {
        rollupOptions: {
          // Headless UI marks its modules "use client"; a client-only bundle
          // has no use for the directive, and the warning per module buries
          // real problems.
          onwarn(warning: { code?: string }, warn: (w: { code?: string }) => void) {
            if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
            warn(warning);
          },
        },
      },
    });
  },
};

export default config;
