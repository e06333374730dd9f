/**
 * The REST API, mounted at /api on the gateway's HTTP server. Every read goes through the
 * gateway's GraphQL pipeline, so REST and GraphQL answer alike and share the site routing.
 */
import type { ApolloServer } from '@apollo/server';
import express, { type RequestHandler } from 'express';
import type { Logger } from '../../lib/service/logger.ts';
import swaggerUi from 'swagger-ui-express';
import type { GatewayContext } from '../context.ts';
import { restErrorHandler, sendError } from './errors.ts';
import { executor } from './execute.ts';
import { OPENAPI_DOCUMENT } from './openapi.ts';
import { getProduct, listProducts } from './products.ts';
import { siteForCity } from './sites.ts';

/** The page links its files relatively (`./swagger-ui.css`): it must be served from `/api/docs/`. */
function docsTrailingSlash(): RequestHandler {
  return (req, res, next) => {
    const [pathname, query] = req.originalUrl.split('?', 2);
    if (pathname!.endsWith('/')) next();
    else res.redirect(301, `${pathname}/${query === undefined ? '' : `?${query}`}`);
  };
}

export function restApi(apollo: ApolloServer<GatewayContext>, logger: Logger): express.Router {
  const execute = executor(apollo);
  const router = express.Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(OPENAPI_DOCUMENT);
  });
  // Swagger UI's files come from node_modules (swagger-ui-dist), so the page works offline
  const docsOptions = { customSiteTitle: 'Teranga REST API' };
  router.use('/docs', swaggerUi.serveFiles(OPENAPI_DOCUMENT, docsOptions));
  router.get('/docs', docsTrailingSlash(), swaggerUi.setup(OPENAPI_DOCUMENT, docsOptions));
  router.get('/products', listProducts(execute));
  router.get('/products/:id', getProduct(execute));
  router.get('/sites/for-city/:city', siteForCity(execute));
  router.use((req, res) => {
    sendError(res, 'NOT_FOUND', `No REST route ${req.method} ${req.originalUrl}`);
  });
  router.use(restErrorHandler(logger));
  return router;
}
