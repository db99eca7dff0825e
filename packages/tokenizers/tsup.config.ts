import { libraryConfig } from '../../config/tsup.library';

export default libraryConfig({});
