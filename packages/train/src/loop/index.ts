// The training loop: SessionRunHooks, the standard hooks, MonitoredSession and train().
export * from './hooks.js';
export * from './monitored_session.js';
export * from './saver_hooks.js';
export * from './session_run_hook.js';
export * from './timer.js';
export * from './train_loop.js';
