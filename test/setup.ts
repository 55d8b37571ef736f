// Test preload: fail loudly on unhandled rejections so a broken promise chain cannot pass silently.

process.on('unhandledRejection', (e) => {
  console.error('unhandled rejection in test process:', e)
  throw e
})
