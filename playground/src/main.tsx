import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { FrameStreamErrorBoundary } from '../../src/react/index.js';
import { App } from './App.js';
import './index.css';

const root = document.getElementById('root');
if (!root) throw new Error('playground: #root is missing from index.html');

// Strict Mode on purpose: the playground is where a double mount leaving two
// sockets open, or a leaked worker, would show first.
createRoot(root).render(
  <StrictMode>
    <FrameStreamErrorBoundary>
      <App />
    </FrameStreamErrorBoundary>
  </StrictMode>,
);
