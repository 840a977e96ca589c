import { createRootRouteWithContext, createRoute, createRouter, redirect } from '@tanstack/react-router';
import { Shell } from './shell';
import type { Session } from './session';
import { AgentsPage } from './pages/agents';
import { BillingPage } from './pages/billing';
import { CallPage } from './pages/call';
import { CallsPage, parseCallFilters } from './pages/calls';
import { WebhooksPage } from './pages/webhooks';
import { NumbersPage } from './pages/numbers';
import { CampaignsPage } from './pages/campaigns';
import { DoNotCallPage } from './pages/do-not-call';

const root = createRootRouteWithContext<{ session: Session }>()({ component: Shell });

const index = createRoute({ getParentRoute: () => root, path: '/', beforeLoad: () => { throw redirect({ to: '/calls' }); } });
export const callsRoute = createRoute({ getParentRoute: () => root, path: '/calls', validateSearch: parseCallFilters, component: CallsPage });
export const callRoute = createRoute({ getParentRoute: () => root, path: '/calls/$callId', component: CallPage });
export const agentsRoute = createRoute({ getParentRoute: () => root, path: '/agents', component: AgentsPage });
const billing = createRoute({ getParentRoute: () => root, path: '/billing', component: BillingPage });
const campaigns = createRoute({ getParentRoute: () => root, path: '/campaigns', component: CampaignsPage });
const numbers = createRoute({ getParentRoute: () => root, path: '/numbers', component: NumbersPage });
const doNotCall = createRoute({ getParentRoute: () => root, path: '/do-not-call', component: DoNotCallPage });
const webhooks = createRoute({ getParentRoute: () => root, path: '/webhooks', component: WebhooksPage });

/** Under /console, where the api serves the built app (any deeper path gets index.html, so a reload keeps the page). */
export const router = createRouter({ routeTree: root.addChildren([index, callsRoute, callRoute, agentsRoute, campaigns, numbers, doNotCall, webhooks, billing]), basepath: '/console', context: { session: undefined! } });

declare module '@tanstack/react-router' {
  interface Register {
    router: typeof router;
  }
}
