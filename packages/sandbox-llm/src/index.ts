export * from './script';
export * from './server';
export * from './appointment-reminder';
export * from './conversation-backend';
